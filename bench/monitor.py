"""The identity monitor's throughput: entries read, verified and matched per second, and its memory at
two log sizes (it must stay flat in the log's size).

The seeding here writes a static-ct log the way TesseraCT does — data tiles of TileLeaf precert
entries, a checkpoint signed with the log's ECDSA key as an RFC 6962 note — holding N real
Fulcio-profile certificates for this issuer (one CA, distinct keys and serials), and one signing
record per certificate in Hallmark's database, so that every certificate is matched and none is
reported. Making 100,000 certificates through the real Fulcio would take an hour on this machine;
what the monitor reads is the same bytes either way (tests/judges/test_monitor.py reads the real
logs).

    .venv/bin/python bench/monitor.py [--entries 100000 20000]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID, ObjectIdentifier

from idp.common import der, merkle
from idp.common.tlog_tiles import WIDTH, signed_checkpoint, static_ct_leaf, write_bundle

ISSUER = "http://localhost:8080"
USERS = 1000
ISSUER_V2 = ObjectIdentifier("1.3.6.1.4.1.57264.1.8")


def _certificates(count: int, start: datetime):
    """``count`` leaf certificates for ``USERS`` people of ``ISSUER``, one CA, one reused leaf key (the
    key does not matter to the monitor; signing with the CA key does the work)."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench CA")])
    leaf_key = ec.generate_private_key(ec.SECP256R1()).public_key()
    issuer_ext = x509.UnrecognizedExtension(ISSUER_V2, der.utf8_string(ISSUER))
    for index in range(count):
        not_before = start + timedelta(seconds=index)
        san = x509.SubjectAlternativeName([x509.UniformResourceIdentifier(f"{ISSUER}/u/person-{index % USERS}")])
        yield index, (x509.CertificateBuilder().subject_name(x509.Name([])).issuer_name(ca_name)
                      .public_key(leaf_key).serial_number(x509.random_serial_number())
                      .not_valid_before(not_before).not_valid_after(not_before + timedelta(minutes=10))
                      .add_extension(san, critical=True).add_extension(issuer_ext, critical=False)
                      .sign(ca_key, hashes.SHA256()))


def seed(folder: Path, count: int) -> tuple[list[tuple[int, datetime]], float]:
    """Write the logs and the stack files the monitor reads; returns (user, notBefore) per certificate."""
    ct, rekor = folder / "data" / "tesseract", folder / "data" / "rekor"
    rekor.mkdir(parents=True)
    ct_key, rekor_key = ec.generate_private_key(ec.SECP256R1()), ed25519.Ed25519PrivateKey.generate()
    started = time.perf_counter()
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=count + 60)
    frontier, bundle, made = merkle.Frontier(), [], []
    for index, certificate in _certificates(count, start):
        tile_leaf, leaf = static_ct_leaf(int(certificate.not_valid_before_utc.timestamp() * 1000),
                                         certificate.tbs_certificate_bytes,
                                         certificate.public_bytes(serialization.Encoding.DER))
        frontier.append(merkle.leaf_hash(leaf))
        bundle.append(tile_leaf)
        made.append((index % USERS, certificate.not_valid_before_utc))
        if len(bundle) == WIDTH:
            write_bundle(ct, "data", index // WIDTH, bundle)
            bundle = []
    if bundle:
        write_bundle(ct, "data", count // WIDTH, bundle)
    (ct / "checkpoint").write_text(signed_checkpoint(ct_key, "localhost/hallmark-ct", count, frontier.root()))
    (rekor / "checkpoint").write_text(signed_checkpoint(rekor_key, "localhost", 0, hashlib.sha256(b"").digest()))
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    import json

    from idp.stack.layout import Layout, Ports, StackConfig

    layout = Layout(folder)
    layout.config.write_text(StackConfig(issuer=ISSUER, ports=Ports()).to_json())
    layout.trusted_root.write_text(json.dumps({
        "ctlogs": [{"publicKey": {"rawBytes": base64.b64encode(ct_key.public_key().public_bytes(*spki)).decode()}}],
        "tlogs": [{"publicKey": {"rawBytes": base64.b64encode(rekor_key.public_key().public_bytes(*spki)).decode()}}],
    }))
    return made, time.perf_counter() - started


def measure(count: int) -> None:
    """Seed a log of ``count`` certificates in a fresh instance, then time one monitor pass over it (in a
    process of its own, so that its peak memory is its own)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        made, seconds = seed(folder / "stack", count)
        print(f"seeded {count:,} certificates in {seconds:.1f} s", flush=True)
        env = {**os.environ, "HALLMARK_INSTANCE": str(folder / "instance"), "HALLMARK_ISSUER": ISSUER}
        records = folder / "records.txt"
        records.write_text("\n".join(f"{user} {moment.isoformat()}" for user, moment in made))
        subprocess.run([sys.executable, __file__, "--records", str(folder), str(records)], env=env, check=True)
        subprocess.run([sys.executable, __file__, "--pass", str(folder), str(records)], env=env, check=True)


def seed_records(records: Path) -> None:
    """The people and one signing record per certificate (in a process of its own)."""
    from sqlalchemy import insert

    from idp import create_app
    from idp.store.db import db
    from idp.store.models import SigningRecord, User

    app = create_app(create_schema=True)
    with app.app_context():
        db.session.execute(insert(User), [{"id": i + 1, "username": f"person-{i}", "webauthn_user_id": os.urandom(32),
                                           "is_admin": False, "created_at": datetime.now(UTC)} for i in range(USERS)])
        rows = []
        for line in records.read_text().splitlines():
            user, moment = line.split(" ")
            at = datetime.fromisoformat(moment)
            rows.append({"subject": f"{ISSUER}/u/person-{user}", "user_id": int(user) + 1, "client_id": "sigstore",
                         "grant": "authorization_code", "credential_id": None,
                         "jti_sha256": hashlib.sha256(os.urandom(16)).hexdigest(),
                         "issued_at": at - timedelta(seconds=2), "expires_at": at + timedelta(minutes=10)})
        db.session.execute(insert(SigningRecord), rows)
        db.session.commit()


def one_pass(folder: Path) -> None:
    """One monitor pass over the seeded logs, timed."""
    from idp import create_app
    from idp.monitor.runner import run_once
    from idp.monitor.stack_logs import watched_logs
    from idp.stack.layout import Layout
    from idp.store.models import MonitoredCertificate

    app = create_app()
    with app.app_context():
        layout = Layout(folder / "stack")
        logs = watched_logs(layout, layout.load())
        started = time.perf_counter()
        if os.environ.get("BENCH_PROFILE"):
            import cProfile
            import pstats

            profile = cProfile.Profile()
            report = profile.runcall(run_once, logs, app.extensions["hallmark"], timedelta(seconds=60))
            pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
        else:
            report = run_once(logs, app.extensions["hallmark"], timedelta(seconds=60))
        seconds = time.perf_counter() - started
        matched = MonitoredCertificate.query.filter(MonitoredCertificate.signing_record_id.isnot(None)).count()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    count = report.read.get("ct", 0)
    print(f"{count:,} entries: read, verified and matched in {seconds:.1f} s = {count / seconds:,.0f} entries/s; "
          f"{matched:,} matched, {len(report.findings)} findings; peak RSS {peak:.0f} MiB", flush=True)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--records":
        seed_records(Path(sys.argv[3]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--pass":
        one_pass(Path(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, nargs="+", default=[20000, 100000])
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}; the monitor runs in one process", flush=True)
    for count in args.entries:
        measure(count)


if __name__ == "__main__":
    main()
