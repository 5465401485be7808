"""The public JSON API, one versioned package per major version (``citystat.api.v1``)."""
