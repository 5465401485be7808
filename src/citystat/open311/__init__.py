"""The resident front door's Open311 GeoReport v2 side: the service list and definitions.

- :mod:`~citystat.open311.catalogue`: the city's service catalogue file (groups, staff-only words,
  service definitions with their attributes), validated.
- :mod:`~citystat.open311.services`: the service list, built from the service types the warehouse
  holds (agency, expected days from due dates) and the catalogue.
"""
