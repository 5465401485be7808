"""citystat: every city service measured once, accurately and equitably."""

__version__ = "0.1.0"
