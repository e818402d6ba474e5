"""Benchmarks of django-voiceotp, run by ``make bench``: they print figures and assert nothing.

Against gunicorn serving the example site as a site runs it (gthread workers, persistent database
connections, every rate limit counted), on PostgreSQL with Redis and on SQLite with the local memory
cache: throughput, latency and CPU per request of a request and a verify, beside two floors (the
work no implementation can avoid, and the same guarantees written plainly) and django-phone-verify;
SQL statements per call; and the rate of ``voiceotp_poll_calls`` over many open calls.

Modules: :mod:`.run` (orchestrates, one child process per database), :mod:`.suite` (one database),
:mod:`.phases` (the rounds of load phases), :mod:`.load` (the bounded load loop), :mod:`.cpu` (CPU
time from ``/proc``), :mod:`.launcher` (gunicorn, the gateway stub and the simulator),
:mod:`.gateway_stub`, :mod:`.scenarios` (what each contender is asked), :mod:`.floor`,
:mod:`.floor_guarantees`, :mod:`.site_info`, :mod:`.phone_verify_backend`, :mod:`.queries`,
:mod:`.hotpaths`, :mod:`.poll`, :mod:`.targets`, :mod:`.report`.
"""
