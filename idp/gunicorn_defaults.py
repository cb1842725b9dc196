"""Recommended gunicorn settings, shared by ``hallmark serve`` and ``gunicorn.conf.py``."""

from __future__ import annotations

import multiprocessing
import os


def settings(bind: str | None = None, workers: int | None = None) -> dict:
    """Workers from the CPU count, bounded timeouts, recycled workers, and no client IPs in access logs."""
    return {
        "bind": bind or os.environ.get("HALLMARK_BIND", "127.0.0.1:8080"),
        "workers": workers or int(os.environ.get("HALLMARK_WORKERS", 0)) or min(2 * multiprocessing.cpu_count() + 1, 8),
        "worker_class": os.environ.get("HALLMARK_WORKER_CLASS", "sync"),
        "threads": int(os.environ.get("HALLMARK_THREADS", 1)),
        "timeout": 30,
        "graceful_timeout": 20,
        "keepalive": 5,
        "max_requests": 5000,
        "max_requests_jitter": 500,
        "limit_request_line": 8190,
        "accesslog": "-" if os.environ.get("HALLMARK_ACCESS_LOG") else None,
        # Privacy: no %(h)s (client address) in the access log format.
        "access_log_format": '"%(r)s" %(s)s %(b)s %(M)sms',
        "errorlog": "-",
        "control_socket_disable": True,
    }
