"""The staff side of the front door: accounts, signed-in sessions and the request queue.

- :mod:`~citystat.staff.accounts`: staff users with Argon2 password hashes and roles (admin, or
  agency staff limited to their agency's requests).
- :mod:`~citystat.staff.sessions`: server-side sessions that expire; the cookie holds a random
  token, the store only its hash; CSRF tokens bound to the session.
- :mod:`~citystat.staff.queue`: the queue an agency works from, and status changes and notes
  (public notes show on the request's status page, internal ones never), each in the audit log.
"""
