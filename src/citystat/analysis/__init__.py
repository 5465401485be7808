"""Judge the numbers: process-behaviour (XmR) charts, target status, a CityScore-style composite,
data quality and equity.

Everything here reads stored measure values and warehouse tables and never writes: each module has
pure functions over plain sequences (what the tests exercise with hand-checked numbers) and a thin
reader that takes a warehouse connection.
"""
