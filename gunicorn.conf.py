"""gunicorn configuration: ``gunicorn -c gunicorn.conf.py 'idp:create_app()'`` (what the Dockerfile runs).

Override with HALLMARK_BIND (default 127.0.0.1:8080), HALLMARK_WORKERS (default 2 x CPUs + 1, at
most 8) and HALLMARK_ACCESS_LOG=1 (access log without client addresses).
"""

from idp.gunicorn_defaults import settings as _settings

globals().update(_settings())
