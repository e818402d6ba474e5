"""Benchmarks of django-voiceotp, run by ``make bench``: they print figures and assert nothing.

Against gunicorn serving the example site with the gateway simulator, on SQLite and on PostgreSQL:
throughput and latency of a request and a verify; the same for floor views that do only the work no
implementation can avoid, and for django-phone-verify; SQL statements per call; and the rate of
``voiceotp_poll_calls`` over 10,000 open calls. Modules: :mod:`.run` (orchestrates, one child process
per database), :mod:`.suite` (one database), :mod:`.launcher` (gunicorn and the simulator),
:mod:`.load` (the bounded load loop), :mod:`.scenarios` (what each contender is asked), :mod:`.floor`,
:mod:`.phone_verify_backend`, :mod:`.queries`, :mod:`.poll`, :mod:`.report`.
"""
