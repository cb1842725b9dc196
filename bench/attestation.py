"""What the attestation policy costs: reading a FIDO metadata BLOB the size of the real one, and an enrollment
with the policy against one without it.

The BLOB is made here (the real one may not be fetched from a benchmark): N models, each statement with a
4 KiB icon as the FIDO Alliance's carry, RS256-signed under a test root (hallmark_testing.mds). Enrollments
run through the Flask test client with the software authenticator: invitation, options, a packed
attestation chained to its model's root, verification, the account page's session.

    .venv/bin/python bench/attestation.py [--models 1200] [--enrollments 100]
"""

from __future__ import annotations

import argparse
import base64
import itertools
import os
import statistics
import tempfile
import time
from pathlib import Path

from hallmark_testing.helpers import make_settings, new_invite, post_json
from hallmark_testing.mds import FidoTestService, der, entry
from hallmark_testing.softauthn import SoftAuthenticator
from idp import create_app
from idp.ceremony.metadata import load
from idp.platform import clock

NAMES = itertools.count()
ICON = "data:image/png;base64," + base64.b64encode(os.urandom(3072)).decode()


def make_blob(folder: Path, models: int) -> tuple[Path, Path, list]:
    service = FidoTestService()
    made = [service.model(f"Bench Key {n}") for n in range(min(models, 20))]     # keys we enroll with
    entries = []
    for n in range(models):
        model = made[n % len(made)] if n < len(made) else service.model(f"Listed Key {n}")
        listed = entry(model.aaguid, model.description, [der(model.root)])
        listed["metadataStatement"]["icon"] = ICON
        entries.append(listed)
    blob, root = service.write(folder, entries)
    return blob, root, made


def enroll_times(app, models: list, count: int) -> list[float]:
    times = []
    for n in range(count):
        client = app.test_client()
        auth = SoftAuthenticator(origin=app.extensions["hallmark"].origin)
        if models:
            models[n % len(models)].equip(auth)
        token = new_invite(app)
        start = time.perf_counter()
        options = post_json(client, f"/enroll/{token}/options", {"username": f"bench-{next(NAMES)}"}).get_json()
        answer = post_json(client, f"/enroll/{token}/verify", {"credential": auth.create(options), "name": "k"})
        times.append(time.perf_counter() - start)
        assert answer.status_code == 200, answer.get_json()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=1200)
    parser.add_argument("--enrollments", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        blob, root, models = make_blob(folder / "mds", args.models)
        size = blob.stat().st_size
        reads = []
        for _ in range(5):
            start = time.perf_counter()
            load(blob, root, clock.now())
            reads.append(time.perf_counter() - start)
        print(f"BLOB: {args.models} models, {size / 2**20:.1f} MiB; verified and parsed in "
              f"{statistics.median(reads) * 1000:.0f} ms (median of 5; once at start and once per new file)")
        plain = create_app(make_settings(folder / "plain"), create_schema=True)
        policy = create_app(make_settings(folder / "policy", mds_blob=str(blob), mds_root=str(root),
                                          attestation_required=True), create_schema=True)
        enroll_times(plain, [], 5)                       # warm both up
        enroll_times(policy, models, 5)
        without, with_policy = [], []
        for _ in range(2):                               # interleaved, against the machine's drift
            without += enroll_times(plain, [], args.enrollments // 2)
            with_policy += enroll_times(policy, models, args.enrollments // 2)
        for name, times in (("without the policy", without), ("attestation required", with_policy)):
            print(f"enrollment {name}: median {statistics.median(times) * 1000:.1f} ms, "
                  f"p90 {statistics.quantiles(times, n=10)[-1] * 1000:.1f} ms ({len(times)} enrollments)")
        print(f"ratio of medians (policy / none): {statistics.median(with_policy) / statistics.median(without):.2f}")


if __name__ == "__main__":
    main()
