"""Verifying many files at once: one worker process per CPU, results in the order given.

Verification is CPU work in Python (certificate chain, SCT, timestamp, checkpoint, inclusion
proof, signature); a process per core verifies bundles side by side. Few files are verified in
this process: starting workers costs more than it saves.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sigstore.hashes import Hashed

from idp.client import ClientError
from idp.client.bundles import load
from idp.client.instance import Instance
from idp.client.names import Name
from idp.client.shown import shown
from idp.client.verify import read_input, verify

IN_PROCESS_BELOW = 24


@dataclass(frozen=True)
class Job:
    artifact: Path
    bundle: Path
    prehashed: Hashed | None = None


def check_one(instance: Instance, job: Job, identity: Name | None, issuer: str | None) -> tuple[bool, str]:
    """``(passed, the line to print)`` for one file and its bundle."""
    try:
        data = job.prehashed or read_input(job.artifact)       # a missing file is named before its bundle
        verified = verify(instance, data, load(job.bundle), identity=identity, issuer_url=issuer)
    except ClientError as exc:
        return False, f"FAIL: {shown(job.artifact)}: {str(exc).removeprefix(f'{shown(job.artifact)}: ')}"
    return True, f"OK: {shown(job.artifact)}: {verified.describe()}"


_worker: tuple[Instance, Name | None, str | None] | None = None


def _start_worker(instance: Instance, identity: Name | None, issuer: str | None) -> None:
    global _worker
    _worker = (instance, identity, issuer)


def _check_in_worker(job: Job) -> tuple[bool, str]:
    assert _worker is not None
    return check_one(_worker[0], job, _worker[1], _worker[2])


def check_all(instance: Instance, jobs: list[Job], identity: Name | None, issuer: str | None,
              processes: int | None = None) -> Iterator[tuple[bool, str]]:
    """Each job's result, in order; in worker processes when there are many."""
    workers = processes or os.cpu_count() or 1
    if len(jobs) < IN_PROCESS_BELOW or workers < 2:
        for job in jobs:
            yield check_one(instance, job, identity, issuer)
        return
    with ProcessPoolExecutor(max_workers=workers, initializer=_start_worker,
                             initargs=(instance, identity, issuer)) as pool:
        yield from pool.map(_check_in_worker, jobs, chunksize=max(1, len(jobs) // (workers * 8)))
