"""The identity monitor on the development stand-in: its CT log and Rekor log written as tiles
(idp/devstack/tile_mirror.py), read exactly as the real logs are."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from judges.requests_to_judges import artifact, signed_like_hallmark

from hallmark_testing.commands import hallmark_cli
from hallmark_testing.helpers import enroll
from idp.monitor.runner import run_once
from idp.monitor.stack_logs import watched_stand_in
from idp.store.models import MonitoredCertificate, MonitoredSignature, User


def monitor(hallmark, stack):
    with hallmark.app.app_context():
        return run_once(watched_stand_in(stack.folder), hallmark.app.extensions["hallmark"], timedelta(seconds=60))


def sign(stack, token: str, *files) -> None:
    done = hallmark_cli("sign", "--trust-config", str(stack.trust_config), "--identity-token", token,
                        *map(str, files))
    assert done.returncode == 0, done.stderr


def user_id(hallmark, name: str) -> int:
    with hallmark.app.app_context():
        return User.query.filter_by(username=name).one().id


def test_signing_through_the_stand_in_is_matched_and_a_forged_token_is_critical(hallmark, stack, token_for,
                                                                               tmp_path):
    files = [artifact(tmp_path, f"stand-in {n}\n") for n in range(2)]
    sign(stack, token_for("stand-in-signer"), *files)
    report = monitor(hallmark, stack)
    signer = user_id(hallmark, "stand-in-signer")
    assert report.read["ct"] >= 1 and report.read["rekor"] >= 2
    assert [f for f in report.findings if f.user_id == signer] == []
    with hallmark.app.app_context():
        (cert,) = MonitoredCertificate.query.filter_by(user_id=signer).all()
        assert cert.signing_record_id is not None
        digests = {s.digest for s in MonitoredSignature.query.filter_by(serial=cert.serial)}
    assert digests == {f"sha256:{hashlib.sha256(f.read_bytes()).hexdigest()}" for f in files}

    enroll(hallmark.app.test_client(), hallmark.app, "stand-in-victim")
    forged = signed_like_hallmark(hallmark, sub=f"{hallmark.url}/u/stand-in-victim")
    sign(stack, forged, artifact(tmp_path, "forged through the stand-in\n"))
    found = [f for f in monitor(hallmark, stack).findings if f.user_id == user_id(hallmark, "stand-in-victim")]
    assert {f.kind for f in found} == {"certificate_without_login", "signature_with_flagged_certificate"}
    assert monitor(hallmark, stack).findings == []


def test_the_stand_in_keeps_its_tiles_across_a_restart(hallmark, stack, token_for, tmp_path):
    monitor(hallmark, stack)
    stack.restart()                                   # a new port: a new origin, the same entries
    sign(stack, token_for("after-restart"), artifact(tmp_path, "after a restart\n"))
    report = monitor(hallmark, stack)
    assert report.read["ct"] == 1 and report.read["rekor"] == 1
    assert [f.kind for f in report.findings] == []
