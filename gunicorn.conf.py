"""gunicorn configuration: ``gunicorn -c gunicorn.conf.py 'idp:create_app()'`` (what the Dockerfile runs).

Override with HALLMARK_BIND (default 127.0.0.1:8080), HALLMARK_WORKERS (default one per CPU, at
least 2), HALLMARK_WORKER_CLASS / HALLMARK_THREADS (default idp.platform.gunicorn_worker.BoundedThreadWorker / 16:
threads with bounded client reads, so that slow clients cannot stall the service) and HALLMARK_ACCESS_LOG=1 (access log
without client addresses).
"""

from idp.platform.gunicorn_defaults import settings as _settings

globals().update(_settings())
