"""Judge the numbers: process-behaviour (XmR) charts, target status and a CityScore-style composite.

Everything here reads stored measure values (``engine/``) and never writes: each module has pure
functions over plain sequences (what the tests exercise with hand-checked numbers) and a thin
reader that takes a warehouse connection.
"""
