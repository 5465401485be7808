"""Engine: run measure computations through Ibis on DuckDB (the warehouse), PostgreSQL or Spark."""
