"""The identity monitor against the real stack: TesseraCT's and Rekor v2's own tiles and checkpoints.

Every certificate Fulcio issued for this Hallmark must follow a signing login Hallmark made. The tests
make what an attacker would (a token signed with the instance's key, a token used twice, tokens
outliving a disabled account or a revoked key, a log rewriting its history) and read what the monitor
reports.
"""

from __future__ import annotations

import base64
import dataclasses
import shutil
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization

from hallmark_testing.commands import hallmark_cli
from hallmark_testing.helpers import enroll, login
from hallmark_testing.mail import smtp_server
from idp.monitor import notify
from idp.monitor.runner import run_once
from idp.monitor.stack_logs import watched_logs
from idp.monitor.tiles import TiledLog
from idp.people.accounts import set_disabled
from idp.platform import clock
from idp.store.db import db
from idp.store.models import (
    Credential,
    MonitorCursor,
    MonitoredCertificate,
    MonitoredSignature,
    MonitorFinding,
    User,
)
from judges.requests_to_judges import artifact, ask_for_certificate, sign, signed_like_hallmark

SKEW = timedelta(seconds=60)


def sizes(stack) -> dict[str, int]:
    return {w.name: int(w.log.checkpoint().splitlines()[1]) for w in watched_logs(stack.layout, stack.config)}


@contextmanager
def logged(stack, ct: int = 0, rekor: int = 0, timeout: float = 60):
    """Around what the block sends: afterwards, wait until both logs' published checkpoints hold at
    least that many more entries than before it (TesseraCT and Rekor publish every second or so)."""
    wanted = {name: size + more for (name, size), more in zip(sizes(stack).items(), (ct, rekor), strict=True)}
    yield
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(sizes(stack)[name] >= size for name, size in wanted.items()):
            return
        time.sleep(0.2)
    raise AssertionError(f"the logs did not reach {wanted}: {sizes(stack)}")


def monitor(stack, logs=None):
    with stack.hallmark.app.app_context():
        return run_once(logs or watched_logs(stack.layout, stack.config), stack.hallmark.app.extensions["hallmark"],
                        SKEW)


def user_id(stack, username: str) -> int:
    with stack.hallmark.app.app_context():
        return User.query.filter_by(username=username).one().id


@pytest.fixture(scope="module")
def watched(real_stack):
    """The stack, with the monitor having read what its set-up signed."""
    monitor(real_stack)
    return real_stack


def test_normal_signing_has_no_finding_and_the_history_holds_every_digest(watched, tmp_path):
    files = [artifact(tmp_path, f"release {n}\n") for n in range(3)]
    token = watched.token("steady")
    with logged(watched, ct=1, rekor=3):
        done = hallmark_cli("sign", "--trust-config", str(watched.trust_config), "--identity-token", token,
                            *map(str, files))
        assert done.returncode == 0, done.stderr
    report = monitor(watched)
    assert report.read["ct"] >= 1 and report.read["rekor"] >= 3
    steady = user_id(watched, "steady")
    assert [f for f in report.findings if f.user_id == steady] == []
    with watched.hallmark.app.app_context():
        (cert,) = MonitoredCertificate.query.filter_by(user_id=steady).all()
        assert cert.signing_record_id is not None and cert.identity == watched.identity("steady")
        digests = {s.digest for s in MonitoredSignature.query.filter_by(serial=cert.serial)}
    import hashlib

    assert digests == {f"sha256:{hashlib.sha256(f.read_bytes()).hexdigest()}" for f in files}


def test_a_forged_token_is_critical_and_names_the_identity_the_certificate_and_the_digest(watched, tmp_path):
    enroll(watched.hallmark.app.test_client(), watched.hallmark.app, "victim")   # enrolled, never signs
    forged = signed_like_hallmark(watched.hallmark, sub=watched.identity("victim"))
    release = artifact(tmp_path, "a trojan\n")
    with logged(watched, ct=1, rekor=1):
        done = sign(watched, release, forged)
        assert done.returncode == 0, done.stderr            # Fulcio and Rekor cannot tell: the key is Hallmark's
    victim = user_id(watched, "victim")
    with smtp_server() as (inbox, port), watched.hallmark.app.app_context():
        admin = User.query.filter_by(username="victim").one()
        admin.email, admin.email_canonical, admin.email_verified_at = "victim@example.org", "victim@example.org", \
            clock.now()
        db.session.commit()
        report = run_once(watched_logs(watched.layout, watched.config), watched.hallmark.app.extensions["hallmark"],
                          SKEW)
        mine = [f for f in report.findings if f.user_id == victim]
        kinds = {f.kind for f in mine}
        assert kinds == {"certificate_without_login", "signature_with_flagged_certificate"}, kinds
        forged_cert = next(f for f in mine if f.kind == "certificate_without_login")
        assert forged_cert.severity == "critical" and watched.identity("victim") in forged_cert.sentence
        assert forged_cert.serial and forged_cert.serial in forged_cert.sentence
        import hashlib

        digest = f"sha256:{hashlib.sha256(release.read_bytes()).hexdigest()}"
        assert any(digest in f.sentence for f in mine if f.kind == "signature_with_flagged_certificate")
        settings = dataclasses.replace(watched.hallmark.app.extensions["hallmark"], smtp_host="127.0.0.1",
                                       smtp_port=port, smtp_from="monitor@localhost")
        assert notify.send_pending(settings) >= 1
        assert any("no signing login" in body for body in inbox.text_to("victim@example.org"))
        assert MonitorFinding.query.filter_by(notified_at=None).count() == 0


def test_one_token_used_for_two_certificates_is_a_warning(watched):
    token = watched.token("careless")
    fulcio = watched.config.url("fulcio")
    with logged(watched, ct=2):
        for _ in range(2):
            assert ask_for_certificate(fulcio, token).status_code == 200
    found = [f for f in monitor(watched).findings if f.user_id == user_id(watched, "careless")]
    assert [f.kind for f in found] == ["token_reused"] and found[0].severity == "warning"
    assert "2 signing certificates" in found[0].sentence


def test_a_token_outliving_a_disabled_account_or_a_revoked_key_is_flagged(watched):
    fulcio = watched.config.url("fulcio")
    before_disabling, before_revoking = watched.token("leaver"), watched.token("loser")
    with watched.hallmark.app.app_context():
        set_disabled("leaver", True, actor="test")
        loser = User.query.filter_by(username="loser").one()
        for key in Credential.query.filter_by(user_id=loser.id):
            key.revoked_at = clock.now()
        db.session.commit()
    with logged(watched, ct=2):
        assert ask_for_certificate(fulcio, before_disabling).status_code == 200
        assert ask_for_certificate(fulcio, before_revoking).status_code == 200
    found = {(f.user_id, f.kind) for f in monitor(watched).findings}
    assert (user_id(watched, "leaver"), "certificate_for_disabled_account") in found
    assert (user_id(watched, "loser"), "certificate_after_key_revoked") in found


def _mirror(stack, tmp_path, log_name: str):
    """A copy of one log's folder, watched in its place (to serve the monitor a doctored checkpoint)."""
    logs = watched_logs(stack.layout, stack.config)
    index = [w.name for w in logs].index(log_name)
    folder = tmp_path / log_name
    shutil.copytree(logs[index].log.folder, folder)
    logs[index] = dataclasses.replace(logs[index], log=TiledLog(folder, logs[index].log.entries))
    return logs, folder


def _cursor(stack, log_name: str) -> tuple[int, str]:
    with stack.hallmark.app.app_context():
        row = db.session.get(MonitorCursor, log_name)
        return row.size, row.checkpoint


def test_a_rolled_back_tampered_or_rewritten_checkpoint_is_flagged_and_the_cursor_stays(watched, tmp_path):
    old_note = watched_logs(watched.layout, watched.config)[1].log.checkpoint()
    with logged(watched, rekor=1):
        assert sign(watched, artifact(tmp_path), watched.token("history")).returncode == 0
    monitor(watched)
    before = _cursor(watched, "rekor")

    logs, folder = _mirror(watched, tmp_path / "rolled", "rekor")
    (folder / "checkpoint").write_text(old_note)                          # validly signed, but older
    found = monitor(watched, logs).findings
    assert [f.kind for f in found] == ["checkpoint_inconsistent"] and "smaller" in found[0].sentence
    assert _cursor(watched, "rekor") == before

    logs, folder = _mirror(watched, tmp_path / "tampered", "rekor")
    lines = (folder / "checkpoint").read_text().split("\n")
    lines[2] = base64.b64encode(bytes(32)).decode()                       # another root, same signature
    (folder / "checkpoint").write_text("\n".join(lines))
    found = monitor(watched, logs).findings
    assert [f.kind for f in found] == ["checkpoint_unsigned"]
    assert _cursor(watched, "rekor") == before

    # The log's own key signing a tree that is not the entries it serves: a log rewriting its history.
    logs, folder = _mirror(watched, tmp_path / "rewritten", "rekor")
    key = serialization.load_pem_private_key(watched.layout.rekor_key.read_bytes(), None)
    origin, size = watched.config.rekor_origin, before[0]          # same size, another tree: a fork
    text = f"{origin}\n{size}\n{base64.b64encode(bytes(range(32))).decode()}\n"
    from idp.monitor.notes import LogKey

    hint = LogKey(origin, key.public_key()).key_hash()
    signature = base64.b64encode(hint + key.sign(text.encode())).decode()
    (folder / "checkpoint").write_text(f"{text}\n\u2014 {origin} {signature}\n")
    found = monitor(watched, logs).findings
    assert [f.kind for f in found] == ["checkpoint_inconsistent"] and "does not match" in found[0].sentence
    assert _cursor(watched, "rekor") == before


def test_a_run_stopped_halfway_resumes_from_the_cursor_and_reports_nothing_twice(watched, tmp_path):
    enroll(watched.hallmark.app.test_client(), watched.hallmark.app, "interrupted")
    forged = signed_like_hallmark(watched.hallmark, sub=watched.identity("interrupted"))
    with logged(watched, ct=1, rekor=1):
        assert sign(watched, artifact(tmp_path, "another trojan\n"), forged).returncode == 0
    logs = watched_logs(watched.layout, watched.config)

    def stop_after_the_ct_log(line: str) -> None:
        if line.startswith("CT log"):
            raise KeyboardInterrupt

    with watched.hallmark.app.app_context(), pytest.raises(KeyboardInterrupt):
        run_once(logs, watched.hallmark.app.extensions["hallmark"], SKEW, stop_after_the_ct_log)
    with watched.hallmark.app.app_context():
        interrupted = User.query.filter_by(username="interrupted").one().id
        found_first = {f.kind for f in MonitorFinding.query.filter_by(user_id=interrupted)}
    assert found_first == {"certificate_without_login"}          # the CT log was read; Rekor was not
    report = monitor(watched)
    assert report.read["ct"] == 0 and report.read["rekor"] >= 1
    assert [f.kind for f in report.findings] == ["signature_with_flagged_certificate"]
    assert monitor(watched).findings == []


def test_the_account_page_shows_the_history_and_the_forged_certificate_in_red(watched, tmp_path):
    """The page and its JSON list each certificate with its login and digests; a forged one is flagged
    in red with what to do."""
    files = [artifact(tmp_path, f"page {n}\n") for n in range(2)]
    with logged(watched, ct=1, rekor=2):
        done = hallmark_cli("sign", "--trust-config", str(watched.trust_config), "--identity-token",
                            watched.token("historian"), *map(str, files))
        assert done.returncode == 0, done.stderr
    client, _ = watched.people["historian"]
    victim = watched.hallmark.app.test_client()
    auth = enroll(victim, watched.hallmark.app, "defaced")
    with logged(watched, ct=1, rekor=1):
        forged = signed_like_hallmark(watched.hallmark, sub=watched.identity("defaced"))
        assert sign(watched, artifact(tmp_path, "defaced\n"), forged).returncode == 0
    monitor(watched)

    (made,) = client.get("/account/signing-history.json").get_json()["certificates"]
    assert not made["flagged"] and made["client"] == "sigstore" and made["key"] and len(made["digests"]) == 2
    assert made["identity"] == watched.identity("historian")
    assert 'class="certificate flagged"' not in client.get("/account").get_data(as_text=True)

    assert login(victim, auth).status_code == 200
    page = victim.get("/account").get_data(as_text=True)
    assert 'class="certificate flagged"' in page and "no signing login" in page and "revoke your keys" in page
    (flagged,) = victim.get("/account/signing-history.json").get_json()["certificates"]
    assert flagged["flagged"] and flagged["client"] is None and flagged["digests"]


def test_the_command_exits_1_on_findings_and_0_when_nothing_is_new(watched, tmp_path):
    """``hallmark monitor run`` on an instance that made none of the stack's logins (a fresh database
    for the same issuer): every certificate is reported, once; then nothing is new."""
    from hallmark_testing.commands import admin_env

    env = admin_env(tmp_path / "instance", watched.hallmark.url)
    assert hallmark_cli("db", "upgrade", env=env).returncode == 0
    stack = ["--stack", str(watched.layout.folder)]
    first = hallmark_cli("monitor", "run", *stack, env=env)
    assert first.returncode == 1, first.stderr
    assert "CRITICAL: A signing certificate for" in first.stdout and "Traceback" not in first.stderr
    assert "new CT log entries" not in first.stderr and "new ct entries" in first.stderr
    again = hallmark_cli("monitor", "run", "--quiet", *stack, env=env)
    assert again.returncode == 0 and again.stdout == "" and "0 new finding(s)" in again.stderr
    summary = hallmark_cli("monitor", "findings", env=env)
    assert summary.returncode == 0 and "critical  certificate_without_login" in summary.stdout
    missing = hallmark_cli("monitor", "run", "--stack", str(tmp_path / "nowhere"), env=env)
    assert missing.returncode == 2 and "cannot watch the stack" in missing.stderr and "Traceback" not in missing.stderr


def test_signing_after_a_device_flow_login_is_matched_too(watched, tmp_path):
    """A token from the device flow (RFC 8628, approved with a key touch) leaves a signing record of its
    own: its certificate matches, and its signatures are listed."""
    from hallmark_testing.helpers import post_json

    app = watched.hallmark.app
    browser = app.test_client()
    auth = enroll(browser, app, "devicer")
    device = app.test_client()
    started = device.post("/device/authorize", data={"client_id": "sigstore", "scope": "openid"}).get_json()
    options = post_json(browser, "/login/options").get_json()
    approved = post_json(browser, "/device/approve", {"user_code": started["user_code"], "credential": auth.get(options),
                                                      "confirmed": True})
    assert approved.status_code == 200, approved.get_json()
    token = device.post("/token", data={"grant_type": "urn:ietf:params:oauth:grant-type:device_code",
                                        "device_code": started["device_code"], "client_id": "sigstore"})
    assert token.status_code == 200, token.get_json()
    files = [artifact(tmp_path, f"device {n}\n") for n in range(2)]
    with logged(watched, ct=1, rekor=2):
        done = hallmark_cli("sign", "--trust-config", str(watched.trust_config), "--identity-token",
                            token.get_json()["access_token"], *map(str, files))
        assert done.returncode == 0, done.stderr
    devicer = user_id(watched, "devicer")
    assert [f for f in monitor(watched).findings if f.user_id == devicer] == []
    (made,) = browser.get("/account/signing-history.json").get_json()["certificates"]
    assert not made["flagged"] and made["key"] and len(made["digests"]) == 2


def test_a_log_that_never_published_is_not_a_finding_but_one_that_lost_its_checkpoint_is(watched, tmp_path):
    logs, folder = _mirror(watched, tmp_path, "rekor")
    (folder / "checkpoint").unlink()
    fresh = [dataclasses.replace(w, name=f"{w.name}-fresh") if w.name == "rekor" else w for w in logs]
    report = monitor(watched, fresh)
    assert report.read["rekor-fresh"] == 0 and [f.kind for f in report.findings] == []
    report = monitor(watched, logs)                      # the monitor had read this log before: now it is gone
    assert [f.kind for f in report.findings] == ["log_unreadable"] and "no checkpoint" in report.findings[0].sentence
