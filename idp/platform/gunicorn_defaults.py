"""Recommended gunicorn settings, shared by ``hallmark serve`` and ``gunicorn.conf.py``."""

from __future__ import annotations

import multiprocessing
from typing import Any

from idp.platform.app_concurrency import wrap_worker
from idp.platform.config import environment


def settings(bind: str | None = None, workers: int | None = None) -> dict[str, Any]:
    """One worker per CPU, bounded timeouts, recycled workers, and no client IPs in access logs.

    One worker per CPU, not gunicorn's usual 2 x CPUs + 1: Hallmark's requests spend their time
    on the CPU, not waiting, and on 2 cores 2 workers gave 549 code flows/s against 512 with 4 on
    SQLite, and 422 against 340 on PostgreSQL (``bench/load.py``). Raise ``HALLMARK_WORKERS`` when
    the database is on another machine and requests wait on it. Each worker has 16 threads with
    bounded reads (:mod:`idp.platform.gunicorn_worker`), so slow clients cannot stall it.
    """
    return {
        "bind": bind or environment("HALLMARK_BIND", "127.0.0.1:8080"),
        "workers": workers or int(environment("HALLMARK_WORKERS") or 0) or max(2, multiprocessing.cpu_count()),
        # Threads, so that a slow client holds one thread and never the worker (finding F5).
        "worker_class": environment("HALLMARK_WORKER_CLASS", "idp.platform.gunicorn_worker.BoundedThreadWorker"),
        "threads": int(environment("HALLMARK_THREADS") or 16),
        "post_worker_init": wrap_worker,        # read in parallel, run the app one request at a time
        "timeout": 30,
        "graceful_timeout": 20,
        "keepalive": 5,
        # Recycle workers as a guard against slow leaks (RSS is flat at ~85 MiB under load); a restart
        # costs ~0.3 s of CPU and stalls the requests queued on that worker, so not too often.
        "max_requests": 100000,
        "max_requests_jitter": 10000,
        "limit_request_line": 8190,
        "accesslog": "-" if environment("HALLMARK_ACCESS_LOG") else None,
        # Privacy: no %(h)s (client address) in the access log format.
        "access_log_format": '"%(r)s" %(s)s %(b)s %(M)sms',
        "errorlog": "-",
        "logger_class": "idp.platform.log_redaction.GunicornLogger",   # one-time secrets never reach the log
        "control_socket_disable": True,
    }
