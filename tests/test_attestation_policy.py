"""The attestation policy (docs/attestation.md): a FIDO metadata BLOB verified to its root, models named only
when their attestation chains to the BLOB's root for them, revoked models refused, an AAGUID allow-list,
and ``amr: hwk`` only for a key proven to be hardware-bound. A test BLOB is signed by a test root."""

from __future__ import annotations

import json
import os
from datetime import date, timedelta

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from hallmark_testing.helpers import make_settings, new_invite, page_text, post_json, sigstore_token
from hallmark_testing.mds import FidoTestService, entry
from hallmark_testing.softauthn import UP, UV, SoftAuthenticator
from idp import create_app
from idp.platform.config import ConfigError
from idp.store.models import AuditEvent, Credential

BACKUP_ELIGIBLE = 0x08


@pytest.fixture(scope="module")
def service():
    return FidoTestService()


@pytest.fixture(scope="module")
def models(service):
    return {"good": service.model("Test Key Pro"), "other": service.model("Other Key"),
            "revoked": service.model("Broken Key"), "unlisted": service.model("Unlisted Key"),
            "software": service.model("Soft Token")}


def blob_entries(models, revoked_status: str = "REVOKED") -> list[dict]:
    def listed(name: str, **kwargs) -> dict:
        model = models[name]
        from hallmark_testing.mds import der

        return entry(model.aaguid, model.description, [der(model.root)], **kwargs)

    return [listed("good"), listed("other"), listed("revoked", status=revoked_status),
            listed("software", key_protection=("software",))]


def policy_app(tmp_path, service, models, **policy):
    blob, root = service.write(tmp_path / "mds", blob_entries(models))
    app = create_app(make_settings(tmp_path, mds_blob=str(blob), mds_root=str(root), **policy), create_schema=True)
    return app


def enroll_with(app, auth: SoftAuthenticator, username: str, flags: int = UP | UV):
    client = app.test_client()
    token = new_invite(app)
    options = post_json(client, f"/enroll/{token}/options", {"username": username}).get_json()
    answer = post_json(client, f"/enroll/{token}/verify", {"credential": auth.create(options, flags=flags),
                                                           "name": "Test key"})
    return client, options, answer


def key_of(app, model=None) -> SoftAuthenticator:
    auth = SoftAuthenticator(origin=app.extensions["hallmark"].origin)
    if model is not None:
        model.equip(auth)
    return auth


def credential_of(app, username: str) -> Credential:
    with app.app_context():
        from idp.store.models import User

        return User.query.filter_by(username=username).one().credentials[0]


def refusal_reasons(app) -> list[str]:
    with app.app_context():
        return [e.details.get("reason", "") for e in AuditEvent.query.filter_by(event="credential.register_failed")]


def id_token_claims(app, client, auth) -> dict:
    response, _ = sigstore_token(client, auth)
    assert response.status_code == 200, response.get_json()
    keys = KeySet.import_key_set(client.get("/.well-known/jwks.json").get_json())
    return jwt.decode(response.get_json()["id_token"], keys).claims


# Without metadata nothing is asked and nothing claimed ------------------------------------------------

def test_without_metadata_no_attestation_is_asked_and_the_model_is_not_disclosed(app, client):
    auth = key_of(app)
    client, options, answer = enroll_with(app, auth, "plain")
    assert options["attestation"] == "none" and answer.status_code == 200
    assert credential_of(app, "plain").attested_model is None
    assert "Not disclosed" in page_text(client.get("/account"))
    assert id_token_claims(app, client, auth)["amr"] == ["pop", "user"]


# With metadata: models proven, named, and hwk claimed ------------------------------------------------

def test_a_proven_hardware_model_is_named_and_its_tokens_say_hwk(tmp_path, service, models):
    app = policy_app(tmp_path, service, models)
    auth = key_of(app, models["good"])
    client, options, answer = enroll_with(app, auth, "proven")
    assert options["attestation"] == "direct"
    assert answer.status_code == 200, answer.get_json()
    cred = credential_of(app, "proven")
    assert cred.attested_model == "Test Key Pro" and cred.hardware_attested is True
    page = page_text(client.get("/account"))
    assert "Test Key Pro" in page and "hardware" in page
    assert id_token_claims(app, client, auth)["amr"] == ["hwk", "pop", "user"]


def test_a_synced_credential_of_a_hardware_model_is_not_hardware_bound(tmp_path, service, models):
    app = policy_app(tmp_path, service, models)
    auth = key_of(app, models["good"])
    client, _, answer = enroll_with(app, auth, "synced", flags=UP | UV | BACKUP_ELIGIBLE)
    assert answer.status_code == 200
    cred = credential_of(app, "synced")
    assert cred.attested_model == "Test Key Pro" and cred.hardware_attested is False
    assert id_token_claims(app, client, auth)["amr"] == ["pop", "user"]


def test_a_software_model_is_named_but_not_hardware(tmp_path, service, models):
    app = policy_app(tmp_path, service, models)
    client, _, answer = enroll_with(app, key_of(app, models["software"]), "softie")
    assert answer.status_code == 200
    cred = credential_of(app, "softie")
    assert cred.attested_model == "Soft Token" and cred.hardware_attested is False


@pytest.mark.parametrize("case", ["none", "self", "unlisted", "forged-chain"])
def test_keys_that_prove_no_model_are_accepted_unnamed_when_attestation_is_optional(tmp_path, service, models, case):
    app = policy_app(tmp_path, service, models)
    client, _, answer = enroll_with(app, unproven_key(app, models, case), "optional")
    assert answer.status_code == 200, answer.get_json()
    assert credential_of(app, "optional").attested_model is None


def unproven_key(app, models, case: str) -> SoftAuthenticator:
    """A key that proves no listed model: no attestation, self-attestation, a model missing from the
    BLOB, or a listed model's AAGUID under a batch certificate of another root."""
    if case == "none":
        return key_of(app)
    if case == "self":
        auth = key_of(app)
        auth.attestation, auth.aaguid = "self", bytes.fromhex(models["good"].aaguid.replace("-", ""))
        return auth
    if case == "unlisted":
        return key_of(app, models["unlisted"])
    auth = key_of(app, models["unlisted"])        # signed under the unlisted model's root…
    auth.aaguid = bytes.fromhex(models["good"].aaguid.replace("-", ""))     # …claiming the good one
    auth.attestation_chain, auth.attestation_key = FidoTestService.model(
        "Test Key Pro", aaguid=models["good"].aaguid).batch_key()
    return auth


@pytest.mark.parametrize(("case", "said"), [
    ("none", "it sent no attestation"), ("self", "it attests only to itself"),
    ("unlisted", "is not in the FIDO metadata"), ("forged-chain", "does not chain to the root of Test Key Pro")])
def test_attestation_required_refuses_keys_that_prove_no_model(tmp_path, service, models, case, said):
    app = policy_app(tmp_path, service, models, attestation_required=True)
    _, _, answer = enroll_with(app, unproven_key(app, models, case), "unproven")
    assert answer.status_code == 400
    message = answer.get_json()["error_description"]
    assert "accepts only security keys that prove their model" in message and said in message
    assert any(said in reason for reason in refusal_reasons(app))
    with app.app_context():
        assert Credential.query.count() == 0


@pytest.mark.parametrize("status", ["REVOKED", "USER_KEY_PHYSICAL_COMPROMISE", "USER_VERIFICATION_BYPASS"])
def test_a_model_reported_unsafe_is_refused_even_when_attestation_is_optional(tmp_path, service, models, status):
    blob, root = service.write(tmp_path / "mds", blob_entries(models, revoked_status=status))
    app = create_app(make_settings(tmp_path, mds_blob=str(blob), mds_root=str(root)), create_schema=True)
    _, _, answer = enroll_with(app, key_of(app, models["revoked"]), "broken")
    assert answer.status_code == 400
    assert f"Broken Key) is reported unsafe by the FIDO Alliance ({status}" in answer.get_json()["error_description"]
    assert any(status in reason for reason in refusal_reasons(app))


def test_the_allow_list_accepts_only_the_models_it_names(tmp_path, service, models):
    app = policy_app(tmp_path, service, models, allowed_aaguids=(models["good"].aaguid,))
    assert enroll_with(app, key_of(app, models["good"]), "allowed")[2].status_code == 200
    refused = enroll_with(app, key_of(app, models["other"]), "other")[2]
    assert refused.status_code == 400
    assert "This key's model (Other Key) is not one this instance accepts" in refused.get_json()["error_description"]
    assert enroll_with(app, key_of(app), "anonymous")[2].status_code == 400    # the list implies attestation


def test_adding_a_key_follows_the_same_policy(tmp_path, service, models):
    app = policy_app(tmp_path, service, models, attestation_required=True)
    client, _, answer = enroll_with(app, key_of(app, models["good"]), "adder")
    assert answer.status_code == 200
    options = post_json(client, "/account/keys/options").get_json()
    refused = post_json(client, "/account/keys/verify", {"credential": key_of(app).create(options), "name": "x"})
    assert refused.status_code == 400 and "prove their model" in refused.get_json()["error_description"]


# The BLOB itself -------------------------------------------------------------------------------------

def test_a_blob_past_its_next_update_refuses_new_keys_until_replaced(tmp_path, service, models):
    blob, root = service.write(tmp_path / "mds", blob_entries(models), next_update=date.today() - timedelta(days=1))
    app = create_app(make_settings(tmp_path, mds_blob=str(blob), mds_root=str(root)), create_schema=True)
    answer = enroll_with(app, key_of(app, models["good"]), "late")[2]
    assert answer.status_code == 400 and "expired on" in answer.get_json()["error_description"]
    blob.write_bytes(service.blob(blob_entries(models), number=2))       # the operator downloads a new one
    os.utime(blob, (1, 2))                                                 # (a new mtime, even within a second)
    assert enroll_with(app, key_of(app, models["good"]), "late")[2].status_code == 200


def test_a_new_blob_is_read_without_a_restart(tmp_path, service, models):
    app = policy_app(tmp_path, service, models)
    assert enroll_with(app, key_of(app, models["good"]), "before")[2].status_code == 200
    revoked_now = [e if e["aaguid"] != models["good"].aaguid else
                   entry(models["good"].aaguid, "Test Key Pro", json_roots(e), status="REVOKED")
                   for e in blob_entries(models)]
    blob = tmp_path / "mds" / "blob.jwt"
    blob.write_bytes(service.blob(revoked_now, number=2))
    os.utime(blob, (3, 4))
    answer = enroll_with(app, key_of(app, models["good"]), "after")[2]
    assert answer.status_code == 400 and "REVOKED" in answer.get_json()["error_description"]


def json_roots(listed: dict) -> list[bytes]:
    import base64

    return [base64.b64decode(r) for r in listed["metadataStatement"]["attestationRootCertificates"]]


def test_a_tampered_blob_stops_the_server_at_start(tmp_path, service, models):
    blob, root = service.write(tmp_path / "mds", blob_entries(models))
    header, payload, signature = blob.read_bytes().split(b".")
    import base64

    decoded = json.loads(base64.urlsafe_b64decode(payload + b"=" * (-len(payload) % 4)))
    decoded["entries"][2]["statusReports"] = [{"status": "FIDO_CERTIFIED_L1", "effectiveDate": "2024-01-01"}]
    forged = base64.urlsafe_b64encode(json.dumps(decoded).encode()).rstrip(b"=")
    blob.write_bytes(b".".join([header, forged, signature]))
    with pytest.raises(ConfigError, match="does not verify under the root in HALLMARK_MDS_ROOT"):
        create_app(make_settings(tmp_path, mds_blob=str(blob), mds_root=str(root)))


def test_a_blob_under_another_root_stops_the_server_at_start(tmp_path, service, models):
    blob, _ = service.write(tmp_path / "mds", blob_entries(models))
    _, stranger_root = FidoTestService().write(tmp_path / "stranger", [])
    with pytest.raises(ConfigError, match="does not verify under the root"):
        create_app(make_settings(tmp_path, mds_blob=str(blob), mds_root=str(stranger_root)))


def test_a_blob_whose_signer_expired_stops_the_server_at_start(tmp_path, models):
    from datetime import UTC, datetime

    expired = FidoTestService(signer_not_after=datetime.now(UTC) - timedelta(days=1))
    blob, root = expired.write(tmp_path / "mds", blob_entries(models))
    with pytest.raises(ConfigError, match="BLOB Signer.*valid only from"):
        create_app(make_settings(tmp_path, mds_blob=str(blob), mds_root=str(root)))


@pytest.mark.parametrize(("blob", "root", "said"), [
    ("missing.jwt", "root.pem", "cannot read the FIDO metadata BLOB"),
    ("blob.jwt", "missing.pem", "cannot read the FIDO root certificate"),
    ("garbage.jwt", "root.pem", "is not a FIDO metadata BLOB"),
    ("blob.jwt", "garbage.jwt", "is not a PEM or DER certificate"),
])
def test_unreadable_metadata_files_are_named(tmp_path, service, models, blob, root, said):
    folder = tmp_path / "mds"
    service.write(folder, blob_entries(models))
    (folder / "garbage.jwt").write_text("not a blob")
    with pytest.raises(ConfigError, match=said):
        create_app(make_settings(tmp_path, mds_blob=str(folder / blob), mds_root=str(folder / root)))


@pytest.mark.parametrize(("env", "said"), [
    ({"HALLMARK_ATTESTATION_REQUIRED": "1"}, "HALLMARK_ATTESTATION_REQUIRED needs HALLMARK_MDS_BLOB"),
    ({"HALLMARK_ALLOWED_AAGUIDS": "cb69481e-8ff7-4039-93ec-0a2729a154a8"}, "HALLMARK_ALLOWED_AAGUIDS needs"),
    ({"HALLMARK_MDS_BLOB": "/x", "HALLMARK_MDS_ROOT": "/y", "HALLMARK_ALLOWED_AAGUIDS": "yubikey"},
     "'yubikey' is not an AAGUID"),
    ({"HALLMARK_MDS_BLOB": "/x"}, "HALLMARK_MDS_BLOB and HALLMARK_MDS_ROOT go together"),
])
def test_an_incomplete_policy_is_refused_with_what_is_missing(env, said):
    from idp.platform.config import Settings

    with pytest.raises(ConfigError, match=said):
        Settings.from_env(env={"HALLMARK_ISSUER": "http://localhost:8080", **env})


def test_the_policy_reads_from_the_environment():
    from idp.platform.config import Settings

    cfg = Settings.from_env(env={"HALLMARK_ISSUER": "http://localhost:8080", "HALLMARK_MDS_BLOB": "/b",
                                 "HALLMARK_MDS_ROOT": "/r", "HALLMARK_ATTESTATION_REQUIRED": "yes",
                                 "HALLMARK_ALLOWED_AAGUIDS": " CB69481E-8FF7-4039-93EC-0A2729A154A8 ,"})
    assert (cfg.mds_blob, cfg.mds_root, cfg.attestation_required) == ("/b", "/r", True)
    assert cfg.allowed_aaguids == ("cb69481e-8ff7-4039-93ec-0a2729a154a8",)


# The operator's check -------------------------------------------------------------------------------

def test_the_check_command_verifies_the_blob_and_lists_the_allowed_models(tmp_path, service, models):
    from hallmark_testing.commands import admin_env, hallmark_cli

    blob, root = service.write(tmp_path / "mds", blob_entries(models))
    listed = f"{models['good'].aaguid},{models['revoked'].aaguid},{models['unlisted'].aaguid}"
    env = admin_env(tmp_path / "instance", HALLMARK_MDS_BLOB=str(blob), HALLMARK_MDS_ROOT=str(root),
                    HALLMARK_ALLOWED_AAGUIDS=listed)
    result = hallmark_cli("attestation", "check", env=env)
    assert result.returncode == 1, result.stderr
    assert f"{models['good'].aaguid} Test Key Pro: allowed" in result.stdout
    assert f"{models['revoked'].aaguid} Broken Key: reported REVOKED: refused" in result.stdout
    assert f"{models['unlisted'].aaguid}: not in this BLOB" in result.stdout
    assert "5 models" not in result.stdout and "4 models" in result.stdout

    env["HALLMARK_ALLOWED_AAGUIDS"] = models["good"].aaguid
    assert hallmark_cli("attestation", "check", env=env).returncode == 0

    _, stranger_root = FidoTestService().write(tmp_path / "stranger", [])
    refused = hallmark_cli("attestation", "check", "--root", str(stranger_root), env=env)
    assert refused.returncode == 1 and "does not verify under the root" in refused.stderr
    assert "Traceback" not in refused.stderr

    nothing = hallmark_cli("attestation", "check", env=admin_env(tmp_path / "instance"))
    assert nothing.returncode == 2 and "no FIDO metadata configured" in nothing.stderr


def test_the_instance_page_says_what_the_policy_can_do(tmp_path, service, models):
    from hallmark_testing.helpers import enroll
    from idp.store.db import db
    from idp.store.models import User

    app = policy_app(tmp_path, service, models)
    client = app.test_client()
    enroll(client, app, "boss", key_of(app, models["good"]))
    with app.app_context():
        User.query.filter_by(username="boss").one().is_admin = True
        db.session.commit()
    status = page_text(client.get("/admin/instance"))
    assert "Attestation: FIDO metadata BLOB number 1, current until" in status
    blob = tmp_path / "mds" / "blob.jwt"
    blob.write_bytes(service.blob(blob_entries(models), next_update=date.today() - timedelta(days=2), number=7))
    os.utime(blob, (5, 6))
    assert "so new keys are refused until it is replaced" in page_text(client.get("/admin/instance"))
    blob.write_text("damaged")
    assert "the FIDO metadata cannot be read, so new keys are refused" in page_text(client.get("/admin/instance"))


def test_a_model_without_an_aaguid_is_found_by_its_attestation_key(tmp_path, service):
    """U2F-era models are listed by the key identifiers of their batch certificates, not by AAGUID; the
    allow-list, which names AAGUIDs, cannot admit them."""
    from hallmark_testing.mds import der, key_identifier

    legacy = FidoTestService.model("Legacy U2F Key")
    chain, batch = legacy.batch_key(names_aaguid=False)
    listed = entry(None, "Legacy U2F Key", [der(legacy.root)], key_ids=[key_identifier(chain[0])])
    blob, root = service.write(tmp_path / "mds", [listed])
    app = create_app(make_settings(tmp_path, mds_blob=str(blob), mds_root=str(root)), create_schema=True)
    auth = key_of(app)
    auth.attestation, auth.attestation_chain, auth.attestation_key = "packed", chain, batch
    assert enroll_with(app, auth, "legacy")[2].status_code == 200
    assert credential_of(app, "legacy").attested_model == "Legacy U2F Key"
    other = tmp_path / "allow"
    strict = create_app(make_settings(other, mds_blob=str(blob), mds_root=str(root),
                                      allowed_aaguids=("cb69481e-8ff7-4039-93ec-0a2729a154a8",)), create_schema=True)
    refused = enroll_with(strict, auth, "legacy2")[2]
    assert refused.status_code == 400 and "(Legacy U2F Key) is not one this instance accepts" in refused.get_json()["error_description"]
