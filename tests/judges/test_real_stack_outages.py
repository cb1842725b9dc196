"""When a server of the real stack is down, ``hallmark sign`` fails with a reason, asks Fulcio only
once and writes no bundle that cannot verify; and the stack survives a restart."""

from __future__ import annotations

import json
import time

from hallmark_testing.commands import sigstore
from hallmark_testing.helpers import unique_name
from judges.requests_to_judges import artifact, sign


def ct_size(stack) -> int:
    """The CT log's tree size from TesseraCT's published checkpoint (its second line)."""
    deadline = time.monotonic() + 5
    checkpoint = stack.layout.storage("tesseract") / "checkpoint"
    while not checkpoint.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    return int(checkpoint.read_text().splitlines()[1]) if checkpoint.exists() else 0


def settle(stack, expected: int) -> int:
    """The CT tree size once it stops growing (TesseraCT publishes a checkpoint every second)."""
    deadline, size = time.monotonic() + 6, ct_size(stack)
    while size < expected and time.monotonic() < deadline:
        time.sleep(0.2)
        size = ct_size(stack)
    time.sleep(1.5)
    return ct_size(stack)


def test_a_failed_log_upload_mints_exactly_one_certificate_and_writes_nothing(own_stack, tmp_path):
    """The old client asked Fulcio a second time to learn why signing failed: with a real Fulcio that
    is a second certificate in the CT log. Now the first answer is surfaced and Fulcio is asked once."""
    before = settle(own_stack, 0)
    rekor = next(process for service, process in own_stack.supervisor.running if service.name == "rekor")
    rekor.terminate()
    rekor.wait(timeout=20)
    path = artifact(tmp_path)
    done = sign(own_stack, path, own_stack.token(unique_name("signer")))
    assert done.returncode == 1 and "Signing failed" in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert not path.with_name(path.name + ".sigstore.json").exists()
    assert settle(own_stack, before + 1) == before + 1


def test_without_its_timestamp_authority_sign_refuses_instead_of_writing_an_untimed_bundle(own_stack, tmp_path):
    """Stock sigstore-python only warns when the TSA fails, and writes a bundle that has no verifiable
    time on Rekor v2; Hallmark refuses."""
    tsa = next(process for service, process in own_stack.supervisor.running if service.name == "tsa")
    tsa.terminate()
    tsa.wait(timeout=20)
    path = artifact(tmp_path)
    done = sign(own_stack, path, own_stack.token(unique_name("signer")))
    assert done.returncode == 1, done.stderr
    assert "timestamp" in done.stderr.lower() and "Traceback" not in done.stderr, done.stderr
    assert not path.with_name(path.name + ".sigstore.json").exists()


def test_after_a_restart_old_bundles_verify_and_new_signatures_work(own_stack, tmp_path):
    username = unique_name("restarted")
    before = artifact(tmp_path, "signed before the restart\n")
    assert sign(own_stack, before, own_stack.token(username)).returncode == 0
    own_stack.restart()
    after = artifact(tmp_path, "signed after the restart\n")
    assert sign(own_stack, after, own_stack.token(username)).returncode == 0
    for path in (before, after):
        done = sigstore("verify", "identity", "--cert-identity", own_stack.identity(username), "--cert-oidc-issuer",
                        own_stack.hallmark.url, str(path), trust_config=own_stack.trust_config)
        assert done.returncode == 0, done.stderr
    indexes = [json.loads(p.with_name(p.name + ".sigstore.json").read_text())["verificationMaterial"]
               ["tlogEntries"][0].get("logIndex", "0") for p in (before, after)]
    assert int(indexes[1]) > int(indexes[0]), "the log went on after the restart"
