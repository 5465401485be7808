"""The synthetic demo city "Chesapeake Point": generated files that citystat ingests like real data."""

from citystat.demo.generate import DemoCity, build_geography, generate_city, write_geography

__all__ = ["DemoCity", "build_geography", "generate_city", "write_geography"]
