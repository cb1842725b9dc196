"""Starting the stack's servers, waiting until each answers, and stopping them all."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable

import requests

from idp.stack.services import Service

START_TIMEOUT = 60.0


class StartFailed(RuntimeError):
    """A server exited or did not answer in time; the message names it and its log."""


def _tail(service: Service, lines: int = 8) -> str:
    try:
        text = service.log.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return "\n".join(f"    {line}" for line in text[-lines:])


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code < 500
    except requests.RequestException:
        return False


class Supervisor:
    """The running servers of one stack, in start order."""

    def __init__(self) -> None:
        self.running: list[tuple[Service, subprocess.Popen[bytes]]] = []

    def start(self, service: Service, timeout: float = START_TIMEOUT) -> float:
        """Start ``service`` and wait until its ready URL answers; returns the seconds it took."""
        from idp.platform.instance_lock import port_free

        for host, port, purpose in service.ports:
            if not port_free(port, host):
                raise StartFailed(f"{service.title} cannot start: port {port} ({purpose}) is in use by another "
                                  "program (another stack?); stop it, or choose other ports with "
                                  "'hallmark stack init --base-port'")
        service.log.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        with service.log.open("a") as log:
            process = subprocess.Popen(service.argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       env={**os.environ, **service.env}, start_new_session=True)
        self.running.append((service, process))
        while time.monotonic() - started < timeout:
            if process.poll() is not None:
                raise StartFailed(f"{service.title} exited with code {process.returncode} while starting; "
                                  f"its log {service.log} ends:\n{_tail(service)}")
            if answers(service.ready_url):
                return time.monotonic() - started
            time.sleep(0.1)
        raise StartFailed(f"{service.title} did not answer at {service.ready_url} within {timeout:.0f} s; "
                          f"see {service.log}:\n{_tail(service)}")

    def start_all(self, services: list[Service], report: Callable[[Service, float], None]) -> None:
        for service in services:
            report(service, self.start(service))

    def exited(self) -> list[Service]:
        return [service for service, process in self.running if process.poll() is not None]

    def stop(self, timeout: float = 20.0) -> None:
        """Stop in reverse order (Fulcio first, the logs last, so no submission is cut off)."""
        for _service, process in reversed(self.running):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self.running.clear()
