"""``hallmark attest`` on the real stack: an in-toto statement about each file, signed as a DSSE
bundle and logged in Rekor v2 (as a hashedrekord over the envelope); ``hallmark verify`` checks the signature and that the
statement names the file's digest."""

from __future__ import annotations

import base64
import json

from hallmark_testing.commands import hallmark_cli

PREDICATE_TYPE = "https://slsa.dev/provenance/v1"


def attest(stack, files, predicate, *extra):
    return hallmark_cli("attest", "--trust-config", str(stack.trust_config), "--identity-token",
                        stack.token("attester"), "--predicate-type", PREDICATE_TYPE, "--predicate", str(predicate),
                        *extra, *map(str, files))


def verify(stack, path, identity="attester"):
    return hallmark_cli("verify", "--trust-config", str(stack.trust_config), "--identity", stack.identity(identity),
                        "--issuer", stack.hallmark.url, str(path))


def test_an_attestation_names_the_file_and_verifies_and_a_changed_file_is_refused(real_stack, tmp_path):
    predicate = tmp_path / "provenance.json"
    predicate.write_text(json.dumps({"buildDefinition": {"buildType": "https://example.org/make"}}))
    files = []
    for name in ("hallmark-1.0.tar.gz", "hallmark-1.0-py3-none-any.whl"):
        path = tmp_path / name
        path.write_bytes(f"contents of {name}\n".encode())
        files.append(path)
    done = attest(real_stack, files, predicate)
    assert done.returncode == 0, done.stderr
    bundle = json.loads((tmp_path / "hallmark-1.0.tar.gz.sigstore.json").read_text())
    statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    assert statement["predicateType"] == PREDICATE_TYPE
    assert statement["subject"][0]["name"] == "hallmark-1.0.tar.gz"
    # Rekor v2 logs an envelope as a hashedrekord over its PAE (sigstore-python 4.5.1, rekor-v2 spec §6.1.4)
    assert bundle["verificationMaterial"]["tlogEntries"][0]["kindVersion"] == {"kind": "hashedrekord",
                                                                              "version": "0.0.2"}
    for path in files:
        checked = verify(real_stack, path)
        assert checked.returncode == 0 and f"attested ({PREDICATE_TYPE}) by {real_stack.identity('attester')}" \
            in checked.stdout, checked.stdout + checked.stderr
    files[0].write_bytes(b"not what was attested\n")
    refused = verify(real_stack, files[0])
    assert refused.returncode == 1 and "the attestation is about other contents" in refused.stdout, refused.stdout
    assert verify(real_stack, files[1], identity="someone-else").returncode == 1


def test_a_predicate_that_is_not_a_json_object_is_refused_before_any_login(real_stack, tmp_path):
    artifact = tmp_path / "a.txt"
    artifact.write_text("a\n")
    for text, said in (("[1, 2]", "must be a JSON object"), ("{not json", "not JSON")):
        predicate = tmp_path / "predicate.json"
        predicate.write_text(text)
        done = attest(real_stack, [artifact], predicate)
        assert done.returncode == 2 and said in done.stderr and "Traceback" not in done.stderr, done.stderr
    done = hallmark_cli("attest", "--trust-config", str(real_stack.trust_config), "--predicate-type", "slsa",
                        "--predicate", str(predicate), str(artifact))
    assert done.returncode == 2 and "must be a URI" in done.stderr, done.stderr
    assert not artifact.with_name("a.txt.sigstore.json").exists()
