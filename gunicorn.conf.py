"""gunicorn configuration: ``gunicorn -c gunicorn.conf.py 'idp:create_app()'`` (what the Dockerfile runs).

Override with HALLMARK_BIND (default 127.0.0.1:8080), HALLMARK_WORKERS (default 2 x CPUs + 1, at
most 8), HALLMARK_WORKER_CLASS / HALLMARK_THREADS (default sync / 1; gthread with 4 threads measured
≈8 % more flows per second on 2 cores, with a longer p99) and HALLMARK_ACCESS_LOG=1 (access log
without client addresses).
"""

from idp.gunicorn_defaults import settings as _settings

globals().update(_settings())
