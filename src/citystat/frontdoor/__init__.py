"""The resident request forms, as logic without HTML: one question per page, checked on the server.

- :mod:`~citystat.frontdoor.draft`: the answers so far, kept in a signed cookie (no account, no JS).
- :mod:`~citystat.frontdoor.steps`: which pages a service asks, in order, and checking each answer
  with the same rules as the Open311 API.
- :mod:`~citystat.frontdoor.photos`: an uploaded photo checked and re-encoded without its metadata.
- :mod:`~citystat.frontdoor.nearby`: open requests of the same kind close by, shown before submitting.
"""
