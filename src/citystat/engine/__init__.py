"""Compile measures and run them on a backend (DuckDB by default, PostgreSQL, Spark)."""
