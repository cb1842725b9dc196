"""Benchmark: the signing path on the real stack (Fulcio, TesseraCT, Rekor v2, TSA), side by side.

Starts Hallmark and the real stack on loopback (as the judges do), mints one token, then times:
  * signing 1, 10 and 100 files: ``hallmark sign`` (one run), stock ``sigstore sign`` (one run),
    and a loop of ``cosign sign-blob`` (one run per file: cosign signs one blob at a time);
  * verifying N bundles (default 1,000): ``hallmark verify`` and ``sigstore verify identity``, all
    files in one run each, and a loop of ``cosign verify-blob``;
  * key touch → bundle: a WebAuthn assertion (software authenticator) through the code flow, then
    ``hallmark sign`` of one file, until the bundle is on disk.
Numbers are printed, never asserted. Bounded: every count is an option.

    .venv/bin/python bench/signing_path.py [--sizes 1 10 100] [--verify 1000] [--touches 5]
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
from judges.conftest import COSIGN, start_real_stack  # noqa: E402

BIN = Path(sys.executable).parent


def run(command: list[str], env: dict | None = None) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{Path(command[0]).name} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return elapsed


def files(folder: Path, prefix: str, count: int) -> list[Path]:
    made = []
    for number in range(count):
        path = folder / f"{prefix}-{number:04d}.bin"
        path.write_bytes(os.urandom(1024))
        made.append(path)
    return made


def cosign_env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIGSTORE", "COSIGN"))}
    env.update(HOME=str(home), TUF_ROOT=str(home / "tuf"))
    return env


def sign_side_by_side(stack, folder: Path, token: str, sizes: list[int]) -> list[tuple[str, int, float]]:
    token_file = folder / "token.jwt"
    token_file.write_text(token)
    env = cosign_env(folder)
    rows = []
    for size in sizes:
        batch = files(folder, f"hallmark-{size}", size)
        rows.append(("hallmark sign", size, run([str(BIN / "hallmark"), "sign", "--trust-config",
                                                 str(stack.trust_config), "--identity-token", token,
                                                 *map(str, batch)])))
        batch = files(folder, f"stock-{size}", size)
        rows.append(("sigstore sign", size, run([str(BIN / "sigstore"), "--trust-config", str(stack.trust_config),
                                                 "sign", "--identity-token", token, *map(str, batch)])))
        batch = files(folder, f"cosign-{size}", size)
        started = time.perf_counter()
        for path in batch:
            run([str(COSIGN), "sign-blob", "--yes", "--identity-token", str(token_file), "--signing-config",
                 str(stack.layout.signing_config), "--trusted-root", str(stack.layout.trusted_root), "--bundle",
                 f"{path}.sigstore.json", str(path)], env=env)
        rows.append(("cosign sign-blob loop", size, time.perf_counter() - started))
        print(f"  signed {size} files with each", flush=True)
    return rows


def verify_side_by_side(stack, folder: Path, token: str, count: int) -> list[tuple[str, int, float]]:
    batch = files(folder, "verify", count)
    print(f"  signing {count} files to verify …", flush=True)
    run([str(BIN / "hallmark"), "sign", "--jobs", "16", "--trust-config", str(stack.trust_config),
         "--identity-token", token, *map(str, batch)])
    identity, issuer = stack.identity("bencher"), stack.hallmark.url
    rows = [("hallmark verify", count, run([str(BIN / "hallmark"), "verify", "--trust-config", str(stack.trust_config),
                                            "--identity", identity, "--issuer", issuer, *map(str, batch)])),
            ("sigstore verify identity", count, run([str(BIN / "sigstore"), "--trust-config", str(stack.trust_config),
                                                     "verify", "identity", "--cert-identity", identity,
                                                     "--cert-oidc-issuer", issuer, *map(str, batch)]))]
    env = cosign_env(folder)
    started = time.perf_counter()
    for path in batch:
        run([str(COSIGN), "verify-blob", "--new-bundle-format", "--bundle", f"{path}.sigstore.json",
             "--certificate-identity", identity, "--certificate-oidc-issuer", issuer, "--trusted-root",
             str(stack.layout.trusted_root), str(path)], env=env)
    rows.append(("cosign verify-blob loop", count, time.perf_counter() - started))
    return rows


def touch_to_bundle(stack, folder: Path, rounds: int) -> list[float]:
    """From the key touch (the WebAuthn assertion of a fresh code flow) to the bundle on disk."""
    seconds = []
    for number in range(rounds):
        path = files(folder, f"touch-{number}", 1)[0]
        started = time.perf_counter()
        token = stack.token("bencher")
        run([str(BIN / "hallmark"), "sign", "--trust-config", str(stack.trust_config), "--identity-token", token,
             str(path)])
        seconds.append(time.perf_counter() - started)
    return seconds


def table(rows: list[tuple[str, int, float]], what: str) -> None:
    print(f"\n{what}: wall-clock seconds, whole processes")
    print(f"{'command':<26}{'files':>7}{'seconds':>10}{'per file ms':>13}{'vs hallmark':>13}")
    ours = {count: seconds for name, count, seconds in rows if name.startswith("hallmark")}
    for name, count, seconds in rows:
        print(f"{name:<26}{count:>7}{seconds:>10.2f}{1000 * seconds / count:>13.1f}{seconds / ours[count]:>12.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--verify", type=int, default=1000)
    parser.add_argument("--touches", type=int, default=5)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print("starting Hallmark and the real Sigstore stack …", flush=True)
        stack = start_real_stack(folder / "stack")
        try:
            token = stack.token("bencher")
            signing = sign_side_by_side(stack, folder, token, args.sizes)
            verifying = verify_side_by_side(stack, folder, stack.token("bencher"), args.verify) if args.verify else []
            touches = touch_to_bundle(stack, folder, args.touches)
        finally:
            stack.close()
    table(signing, "Signing")
    if verifying:
        table(verifying, "Verifying")
    print(f"\nKey touch → bundle, {len(touches)} runs: median {statistics.median(touches):.2f} s, "
          f"max {max(touches):.2f} s")


if __name__ == "__main__":
    main()
