"""Load driver: bounded iterations, N concurrent workers, throughput and p50/p99 per flow.

Flows (against Hallmark under gunicorn, on SQLite or PostgreSQL):
  1. code + PKCE for an already logged-in session on an ordinary public client (/authorize → /token)
  2. the signing login: /authorize for `sigstore` with a fresh WebAuthn assertion (software
     authenticator) → code → /token
  3. discovery and JWKS
  4. RSS per gunicorn worker after the run
and flows 1 and 3 against node oidc-provider (bench/node), same driver, same machine, as a ratio: with
its default in-memory state, and (flow 1) with its state in Redis, as Hallmark keeps its own in a database.
Row 0 is the stack's floor on this machine: bench/floor_app.py, one ES256 JWT per request, nothing else.

Flows 1 and 3 are driven by bench/driver (Rust, standard library only, built here with
`cargo build --offline`): keep-alive connections, one thread each, so that the driver takes
little of the CPU it shares with the servers. Flow 2 needs a software authenticator (ES256,
CBOR) and is driven from Python.

    .venv/bin/python bench/load.py [--db sqlite|postgresql] [--workers 4] [--concurrency 32] [--iterations 2000]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import requests

from hallmark_testing.commands import hallmark_cli
from hallmark_testing.helpers import AUTHORIZE_REQUEST_RE, CSRF_RE, SIGSTORE_BASIC
from hallmark_testing.helpers import pkce_pair as pkce
from hallmark_testing.servers import RedisServer, ServeProcess, free_port
from hallmark_testing.softauthn import SoftAuthenticator

ROOT = Path(__file__).resolve().parent.parent

CODE_RE = re.compile(r"[?&]code=([^&]+)")
CALLBACK = "https://app.example/cb"
SIGSTORE_CALLBACK = "http://localhost:5555/auth/callback"


def wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


def _collect(iterations: int, concurrency: int, one, per_worker_state, offset: int = 0):
    """Run ``one(state)`` ``iterations`` times across ``concurrency`` threads; return latencies and errors."""
    latencies, errors, lock = [], [], threading.Lock()
    counter = iter(range(iterations))

    def worker(state):
        while True:
            with lock:
                if next(counter, None) is None:
                    return
            start = time.perf_counter()
            try:
                one(state)
                with lock:
                    latencies.append(time.perf_counter() - start)
            except Exception as exc:  # a failed iteration is counted, not fatal
                with lock:
                    errors.append(repr(exc)[:120])

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(worker, [per_worker_state(offset + i) for i in range(concurrency)]))
    return latencies, errors


DRIVER_PROCESSES = 1


def measure(name: str, iterations: int, concurrency: int, one, per_worker_state) -> dict:
    """Split the load over ``DRIVER_PROCESSES`` forked driver processes (threads each); summarise it."""
    started = time.perf_counter()
    if DRIVER_PROCESSES == 1:
        latencies, errors = _collect(iterations, concurrency, one, per_worker_state)
    else:
        import multiprocessing

        context, procs = multiprocessing.get_context("fork"), DRIVER_PROCESSES
        queue = context.Queue()
        children = [context.Process(target=lambda n: queue.put(_collect(
            iterations // procs, max(1, concurrency // procs), one, per_worker_state, n * (concurrency // procs))),
            args=(n,)) for n in range(procs)]
        for child in children:
            child.start()
        results = [queue.get() for _ in children]
        for child in children:
            child.join()
        latencies = [x for lat, _ in results for x in lat]
        errors = [x for _, err in results for x in err]
    elapsed = time.perf_counter() - started
    latencies.sort()
    def pick(q: float) -> float:
        return 1000 * latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else float("nan")

    return {"flow": name, "ok": len(latencies), "errors": len(errors), "seconds": elapsed,
            "per_second": len(latencies) / elapsed, "p50_ms": pick(0.50), "p99_ms": pick(0.99),
            "first_error": errors[0] if errors else ""}


DRIVER = ROOT / "bench" / "driver"


def build_driver() -> Path:
    """Build the Rust load driver (no dependencies, so offline) and return its path."""
    if not shutil.which("cargo"):
        raise SystemExit("bench/load.py needs cargo (Rust) to build bench/driver")
    subprocess.run(["cargo", "build", "--release", "--offline", "--quiet"], cwd=DRIVER, check=True)
    return DRIVER / "target" / "release" / "hallmark-load"


def drive(name: str, args: list[str], stdin: str = "") -> dict:
    """Run the Rust driver with ``args`` and return its summary as a table row."""
    out = subprocess.run([str(build_driver()), *args], input=stdin, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"load driver failed: {out.stderr.strip()}")
    return {"flow": name, **json.loads(out.stdout)}


def drive_code_flow(name: str, base: str, authorize_path: str, token_path: str, cookies, iterations: int,
                    concurrency: int) -> dict:
    """Flow 1 for any provider, with fresh PKCE pairs made here (SHA-256 from Python's hashlib)."""
    cookie = "; ".join(f"{c.name}={c.value}" for c in cookies)
    pairs = "\n".join(" ".join(pkce()) for _ in range(iterations))
    return drive(name, ["code", base, authorize_path, token_path, "bench", CALLBACK, cookie, str(iterations),
                        str(concurrency)], pairs)


def drive_get(name: str, base: str, paths: list[str], iterations: int, concurrency: int) -> dict:
    """Flow 3: every path fetched once per iteration."""
    return drive(name, ["get", base, ",".join(paths), str(iterations), str(concurrency)])


class Hallmark:
    """``hallmark serve`` with the recommended gunicorn configuration."""

    def __init__(self, folder: Path, database_url: str, workers: int | None):
        port = free_port()
        self.issuer = f"http://localhost:{port}"
        keep = ("HALLMARK_WORKER_CLASS", "HALLMARK_THREADS", "HALLMARK_RATELIMIT_STORAGE")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("HALLMARK_") or k in keep}
        self.env.update(HALLMARK_INSTANCE=str(folder), HALLMARK_ISSUER=self.issuer,
                        HALLMARK_RATELIMIT_LOGIN="1000000 per minute", HALLMARK_RATELIMIT_TOKEN="1000000 per minute")
        if database_url:
            self.env["HALLMARK_DATABASE_URL"] = database_url
        self.cli("db", "upgrade")
        self.cli("client", "add", "bench", "--public", "--redirect-uri", CALLBACK)
        self.server = ServeProcess(self.env, port=port, workers=workers)
        self.url = self.server.url

    def cli(self, *args: str) -> str:
        result = hallmark_cli(*args, env=self.env)
        if result.returncode != 0:
            raise SystemExit(f"hallmark {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout

    def invite(self) -> str:
        return self.cli("invite", "create").strip().splitlines()[-1].rsplit("/", 1)[1]

    def csrf(self, session: requests.Session, page: str = "/login") -> str:
        return CSRF_RE.search(session.get(self.url + page).text).group(1)

    def enrolled_session(self, username: str) -> tuple[requests.Session, SoftAuthenticator]:
        session, auth = requests.Session(), SoftAuthenticator(origin=self.issuer)
        token, headers = self.invite(), {"X-CSRFToken": self.csrf(session)}
        options = session.post(f"{self.url}/enroll/{token}/options", json={"username": username}, headers=headers)
        done = session.post(f"{self.url}/enroll/{token}/verify", json={"credential": auth.create(options.json())},
                            headers=headers)
        assert done.status_code == 200, done.text
        return session, auth

    def rss_per_worker(self) -> list[int]:
        """Resident memory of each gunicorn worker, in KiB."""
        return [int(Path(f"/proc/{pid}/status").read_text().split("VmRSS:")[1].split()[0])
                for pid in self.server.worker_pids()]

    def stop(self) -> None:
        self.server.stop()


class Browser:
    """A lean keep-alive HTTP client with a cookie jar (``requests`` costs the driver ~1 ms a request)."""

    def __init__(self, base: str, cookies):
        parts = urlsplit(base)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        self.cookies = {c.name: c.value for c in cookies}

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        headers = {**(headers or {}), "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        try:
            self.connection.request(method, path, body=body, headers=headers)
            reply = self.connection.getresponse()
        except (ConnectionError, http.client.HTTPException):   # closed between requests: once more, fresh
            self.connection.close()
            self.connection.request(method, path, body=body, headers=headers)
            reply = self.connection.getresponse()
        data = reply.read()
        for header, value in reply.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return reply.status, reply, data

    def post_json(self, path: str, body: dict, headers: dict) -> tuple[int, dict]:
        status, _, data = self.request("POST", path, json.dumps(body).encode(),
                                       {**headers, "Content-Type": "application/json"})
        return status, json.loads(data)


def signing_flow(hallmark: Hallmark, concurrency: int):
    """Flow 2: a fresh key touch for every signing token (one enrolled user per worker)."""
    users = [hallmark.enrolled_session(f"signer-{i}-{secrets.token_hex(3)}") for i in range(concurrency)]
    basic = {**SIGSTORE_BASIC, "Content-Type": "application/x-www-form-urlencoded"}

    def state(i: int):
        session, auth = users[i]
        return Browser(hallmark.url, session.cookies), auth

    def one(state):
        browser, auth = state
        verifier, challenge = pkce()
        url = (f"/authorize?response_type=code&client_id=sigstore&scope=openid&state=s"
               f"&redirect_uri={SIGSTORE_CALLBACK}&code_challenge={challenge}&code_challenge_method=S256")
        _, _, page = browser.request("GET", url)
        headers = {"X-CSRFToken": CSRF_RE.search(page.decode()).group(1)}
        request_id = AUTHORIZE_REQUEST_RE.search(page.decode()).group(1)     # the touch approves this request
        _, options = browser.post_json("/login/options", {}, headers)
        status, _ = browser.post_json("/login/verify", {"credential": auth.get(options),
                                                        "authorize_request": request_id}, headers)
        if status != 200:
            raise RuntimeError(f"verify {status}")
        _, reply, _ = browser.request("GET", url)
        code = CODE_RE.search(reply.getheader("Location")).group(1)
        status, _, _ = browser.request("POST", "/token", urlencode({
            "grant_type": "authorization_code", "code": code, "code_verifier": verifier,
            "redirect_uri": SIGSTORE_CALLBACK}).encode(), basic)
        if status != 200:
            raise RuntimeError(f"token {status}")

    return state, one


def node_peer(port: int, redis_url: str = "") -> subprocess.Popen | None:
    """oidc-provider on ``port``: its default in-memory adapter, or its state in Redis at ``redis_url``."""
    node_dir = ROOT / "bench" / "node"
    if not shutil.which("node"):
        return None
    if not all((node_dir / "node_modules" / name).exists() for name in ("oidc-provider", "ioredis")):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=node_dir, check=True)
    process = subprocess.Popen(["node", "provider.mjs", str(port), *([redis_url] if redis_url else [])],
                               cwd=node_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(f"http://127.0.0.1:{port}/.well-known/openid-configuration")
    return process


def node_session(base: str) -> requests.Session:
    """Log the benchmark account in once (the peer's interaction logs in automatically)."""
    session = requests.Session()
    _, challenge = pkce()
    reply = session.get(f"{base}/auth?response_type=code&client_id=bench&scope=openid&state=s&redirect_uri={CALLBACK}"
                        f"&code_challenge={challenge}&code_challenge_method=S256", allow_redirects=False)
    while reply.headers.get("Location", "").startswith(("/", base)):
        location = reply.headers["Location"]
        reply = session.get(location if location.startswith("http") else base + location, allow_redirects=False)
    return session


def peer_rows(iterations: int, concurrency: int, folder: Path) -> list[dict]:
    """Flows 1 and 3 against oidc-provider as configured by default (in-memory state), and flow 1 again
    with its state in Redis (append-only file), as Hallmark keeps its state in its database."""
    redis = RedisServer(folder, appendonly=True)
    rows = []
    try:
        for label, redis_url in (("node oidc-provider", ""), ("node oidc-provider + Redis", redis.url)):
            port = free_port()
            peer = node_peer(port, redis_url)
            if peer is None:
                break
            try:
                base = f"http://localhost:{port}"      # its issuer: cookies and redirects use this host
                session = node_session(base)
                rows.append(drive_code_flow(f"1. code+PKCE, logged in ({label})", base, "/auth", "/token",
                                            session.cookies, iterations, concurrency))
                if not redis_url:
                    rows.append(drive_get(f"3. discovery + JWKS ({label})", base,
                                          ["/.well-known/openid-configuration", "/jwks"], iterations,
                                          concurrency))
            finally:
                peer.terminate()
                peer.wait(timeout=10)
    finally:
        redis.stop()
    return rows


def floor_row(iterations: int, concurrency: int, workers: int | None) -> dict:
    """Requests per second of ``bench/floor_app.py`` under Hallmark's own ``gunicorn.conf.py``."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HALLMARK_BIND": f"127.0.0.1:{port}",
           **({"HALLMARK_WORKERS": str(workers)} if workers else {})}
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
                                "--chdir", str(ROOT / "bench"), "floor_app:app"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(f"http://127.0.0.1:{port}/jwt")
        return drive_get("0. floor: bare Flask + gunicorn, 1 ES256 JWT/request", f"http://127.0.0.1:{port}",
                         ["/jwt"], iterations, concurrency)
    finally:
        process.terminate()
        process.wait(timeout=10)


def print_table(rows: list[dict]) -> None:
    print(f"{'flow':<54}{'ok':>7}{'err':>5}{'per s':>9}{'p50 ms':>9}{'p99 ms':>9}")
    for r in rows:
        print(f"{r['flow']:<54}{r['ok']:>7}{r['errors']:>5}{r['per_second']:>9.0f}{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}")
        if r["first_error"]:
            print(f"    first error: {r['first_error']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: Hallmark's, one per CPU)")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--signing-iterations", type=int, default=600)
    parser.add_argument("--no-peer", action="store_true", help="skip node oidc-provider")
    parser.add_argument("--driver-processes", type=int, default=1,
                        help="forked driver processes sharing the concurrency (the driver competes for the CPU)")
    parser.add_argument("--seed", type=int, nargs="*", default=[],
                        help="also measure flow 2 after seeding this many users (e.g. --seed 1000 1000000)")
    args = parser.parse_args()
    global DRIVER_PROCESSES
    DRIVER_PROCESSES = max(1, args.driver_processes)

    with tempfile.TemporaryDirectory() as tmp:
        postgres = None
        database_url = ""
        if args.db == "postgresql":
            from hallmark_testing import pg

            postgres = pg.PostgresServer()
            database_url = postgres.database()
        hallmark = Hallmark(Path(tmp) / "instance", database_url, args.workers)
        rows, signers = [], min(args.concurrency, 16)      # one enrolled signer per flow-2 worker
        if not args.no_peer:
            rows.append(floor_row(2 * args.iterations, args.concurrency, args.workers))
        try:
            session, auth = hallmark.enrolled_session("bench-user")
            rows.append(drive_code_flow(f"1. code+PKCE, logged in ({args.db})", hallmark.url, "/authorize",
                                        "/token", session.cookies, args.iterations, args.concurrency))
            rows.append(measure(f"2. signing login + key touch ({args.db})", args.signing_iterations,
                                signers, *reversed(signing_flow(hallmark, signers))))
            rows.append(drive_get(f"3. discovery + JWKS ({args.db}, 2 req/it)", hallmark.url,
                                  ["/.well-known/openid-configuration", "/.well-known/jwks.json"],
                                  args.iterations, args.concurrency))
            seeded = 0
            for target in sorted(args.seed):
                print(f"seeding to {target} users …", flush=True)
                subprocess.run([sys.executable, str(ROOT / "bench" / "seed.py"), str(target - seeded)],
                               env={**hallmark.env, "PYTHONPATH": str(ROOT)}, check=True)
                seeded = target
                rows.append(measure(f"2. signing login, {target:,} users ({args.db})", args.signing_iterations,
                                    signers, *reversed(signing_flow(hallmark, signers))))
            rss = hallmark.rss_per_worker()
        finally:
            hallmark.stop()
            if postgres:
                postgres.stop()
        if not args.no_peer:
            rows += peer_rows(args.iterations, args.concurrency, Path(tmp))
    print(f"gunicorn workers: {len(rss)}, concurrency: {args.concurrency}, driver processes: "
          f"{DRIVER_PROCESSES}, cores: {os.cpu_count()}")
    print_table(rows)
    print(f"4. RSS per gunicorn worker after the run: {', '.join(f'{kb / 1024:.0f} MiB' for kb in rss)}")
    ours = {flow: next(r for r in rows if r["flow"].startswith(flow) and "node" not in r["flow"]) for flow in "13"}
    for row in rows:
        if "node" in row["flow"] and row["per_second"]:
            flow, peer = row["flow"][0], row["flow"].split("(")[-1].rstrip(")")
            print(f"ratio flow {flow} Hallmark / {peer}: {ours[flow]['per_second'] / row['per_second']:.2f}")
    floor = next((r for r in rows if r["flow"].startswith("0.")), None)
    if floor and floor["per_second"]:
        ceiling = floor["per_second"] / 2
        print(f"floor: {floor['per_second']:.0f} requests/s, so at most {ceiling:.0f} two-request flows/s in this "
              f"stack; Hallmark's flow 1 reaches {ours['1']['per_second'] / ceiling:.2f} of that")


if __name__ == "__main__":
    main()
