"""Define-once measure catalog."""
