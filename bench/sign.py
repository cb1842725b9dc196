"""Benchmark: ``hallmark sign`` against the stock ``sigstore sign`` on the same token and stack.

Starts Hallmark and the devstack on loopback in this process, mints one token through the full
WebAuthn + PKCE flow (software authenticator), then signs the same files with both CLIs, several
rounds each, and prints wall-clock medians and their ratio. Bounded: ROUNDS x FILES signatures each.

    .venv/bin/python bench/sign.py [--files 10] [--rounds 3]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
from hallmark_testing.helpers import enroll, sigstore_token  # noqa: E402
from hallmark_testing.servers import Devstack, LiveServer  # noqa: E402
from idp.devstack.fulcio_config import FulcioConfig  # noqa: E402
from idp.people.identity import fulcio_config  # noqa: E402

BIN = Path(sys.executable).parent


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{command[0]} failed:\n{result.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        idp = LiveServer(folder / "idp")
        stack = Devstack(folder / "stack", FulcioConfig.parse(fulcio_config(idp.app.extensions["hallmark"])), idp.url)
        client = idp.app.test_client()
        response, _ = sigstore_token(client, enroll(client, idp.app, "bencher"))
        token = response.get_json()["access_token"]
        results: dict[str, list[float]] = {"hallmark sign": [], "sigstore sign": []}
        for round_number in range(args.rounds):
            for name, command in (("hallmark sign", [str(BIN / "hallmark"), "sign"]),
                                  ("sigstore sign", [str(BIN / "sigstore"), "--trust-config", str(stack.trust_config),
                                                     "sign"])):
                files = []
                for i in range(args.files):
                    path = folder / f"{name.split()[0]}-{round_number}-{i}.bin"
                    path.write_bytes(os.urandom(1024))
                    files.append(str(path))
                extra = ["--trust-config", str(stack.trust_config)] if name == "hallmark sign" else []
                results[name].append(timed([*command, *extra, "--identity-token", token, *files]))
        stack.stop()
        idp.stop()
    print(f"signing {args.files} files per run, {args.rounds} runs each, median wall-clock seconds")
    print(f"{'command':<16}{'median s':>10}{'per file ms':>14}")
    medians = {}
    for name, values in results.items():
        medians[name] = statistics.median(values)
        print(f"{name:<16}{medians[name]:>10.2f}{1000 * medians[name] / args.files:>14.1f}")
    print(f"ratio hallmark/sigstore: {medians['hallmark sign'] / medians['sigstore sign']:.2f}")


if __name__ == "__main__":
    main()
