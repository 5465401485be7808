"""Analysis: judging measured numbers (signals, targets, data quality, equity)."""
