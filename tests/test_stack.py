"""``hallmark stack init``, ``status`` and ``systemd`` — what they write, checked without starting a
server (tests/judges/test_stack_cli.py starts them)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from hallmark_testing.commands import admin_env, hallmark_cli

PASSPHRASE = "kV3q9-Xh2mZp7LwR4tYc8NbJ6dFs1gHaQe5uT0oI"


@pytest.fixture
def stack_env(tmp_path):
    env = admin_env(tmp_path / "instance", HALLMARK_KEY_PASSPHRASE=PASSPHRASE)
    done = hallmark_cli("stack", "init", "--base-port", "7100", env=env)
    assert done.returncode == 0, done.stderr
    return env, tmp_path / "instance" / "stack", done.stdout


def test_init_says_what_it_made_and_publishes_it_over_tuf(stack_env):
    env, folder, said = stack_env
    assert "Fulcio CA (root + intermediate, key encrypted)" in said and "Published over TUF" in said
    published = Path(env["HALLMARK_INSTANCE"]) / "tuf" / "repository" / "targets"
    names = {p.name.split(".", 1)[1] for p in published.iterdir()}
    assert {"trusted_root.json", "signing_config.v0.2.json"} <= names
    targets = {p.name.split(".", 1)[1]: p.read_bytes() for p in published.iterdir()}
    assert targets["trusted_root.json"] == (folder / "trusted_root.json").read_bytes()


def test_a_second_init_refuses_and_changes_nothing(stack_env):
    env, folder, _ = stack_env
    before = (folder / "fulcio" / "ca-chain.pem").read_bytes()
    again = hallmark_cli("stack", "init", env=env)
    assert again.returncode == 1 and "a stack already exists" in again.stderr, again.stderr
    assert (folder / "fulcio" / "ca-chain.pem").read_bytes() == before


def test_private_keys_are_0600_and_the_ca_and_tsa_keys_are_encrypted(stack_env):
    _, folder, _ = stack_env
    for name in ("fulcio/ca.key.pem", "tsa/signer.key.pem", "tesseract/log.key.pem", "rekor/checkpoint.key.pem"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name
    for name in ("fulcio/ca.key.pem", "tsa/signer.key.pem"):
        data = (folder / name).read_bytes()
        assert data.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----"), name
        with pytest.raises(TypeError):
            serialization.load_pem_private_key(data, None)
        serialization.load_pem_private_key(data, PASSPHRASE.encode())


def test_the_tsa_leaf_has_one_critical_timestamping_key_usage_and_the_ca_may_sign_code(stack_env):
    _, folder, _ = stack_env
    leaf = x509.load_pem_x509_certificates((folder / "tsa" / "chain.pem").read_bytes())[0]
    usage = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert usage.critical and list(usage.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    intermediate = x509.load_pem_x509_certificates((folder / "fulcio" / "ca-chain.pem").read_bytes())[0]
    assert ExtendedKeyUsageOID.CODE_SIGNING in intermediate.extensions.get_extension_for_class(
        x509.ExtendedKeyUsage).value


def test_the_signing_config_names_hallmark_rekor_v2_and_the_tsa(stack_env):
    env, folder, _ = stack_env
    signing = json.loads((folder / "signing_config.v0.2.json").read_text())
    assert signing["mediaType"] == "application/vnd.dev.sigstore.signingconfig.v0.2+json"
    assert signing["oidcUrls"][0]["url"] == env["HALLMARK_ISSUER"]
    assert signing["rekorTlogUrls"] == [{**signing["rekorTlogUrls"][0], "url": "http://localhost:7102",
                                         "majorApiVersion": 2}]
    assert signing["tsaUrls"][0]["url"] == "http://localhost:7103/api/v1/timestamp"
    assert signing["caUrls"][0]["url"] == "http://localhost:7100"
    root = json.loads((folder / "trusted_root.json").read_text())
    assert root["tlogs"][0]["publicKey"]["keyDetails"] == "PKIX_ED25519"
    assert len(root["timestampAuthorities"][0]["certChain"]["certificates"]) == 2


def test_status_says_what_is_down_and_what_falls_due(stack_env):
    env, _, _ = stack_env
    done = hallmark_cli("stack", "status", env=env)
    assert done.returncode == 0, done.stderr
    assert "DOWN  Fulcio (certificate authority) at http://localhost:7100" in done.stdout
    assert "TUF timestamp metadata" in done.stdout and "Hallmark renews it while it runs" in done.stdout
    assert "Fulcio CA certificate CN=Hallmark intermediate CA" in done.stdout
    assert "Rekor v2 log: no checkpoint yet" in done.stdout and "CT log (TesseraCT): no checkpoint yet" in done.stdout


def test_up_and_status_without_a_stack_say_to_init_first(tmp_path):
    env = admin_env(tmp_path / "instance")
    for command in ("up", "status"):
        done = hallmark_cli("stack", command, env=env)
        assert done.returncode == 1 and "run 'hallmark stack init' first" in done.stderr, done.stderr


def test_up_with_another_passphrase_refuses_before_starting_anything(stack_env):
    env, _, _ = stack_env
    done = hallmark_cli("stack", "up", env={**env, "HALLMARK_KEY_PASSPHRASE": "Zq8" + PASSPHRASE[3:]})
    assert done.returncode == 1 and "the passphrase does not open" in done.stderr, done.stderr


def test_systemd_units_run_each_server_through_hallmark_and_hold_no_secret(stack_env, tmp_path):
    env, folder, _ = stack_env
    done = hallmark_cli("stack", "systemd", "--output", str(tmp_path / "units"), "--user", "hallmark", env=env)
    assert done.returncode == 0, done.stderr
    units = {p.name: p.read_text() for p in (tmp_path / "units").iterdir()}
    assert set(units) == {f"hallmark-stack-{n}.service" for n in ("fulcio", "tesseract", "rekor", "tsa")}
    for name, text in units.items():
        service = name.removeprefix("hallmark-stack-").removesuffix(".service")
        assert f"stack run {service}\n" in text and "User=hallmark" in text and f"ReadWritePaths={folder}" in text
        assert PASSPHRASE not in text
    assert "After=network-online.target hallmark-stack-tesseract.service" in units["hallmark-stack-fulcio.service"]


def test_public_urls_behind_a_tls_proxy_go_into_the_trust_root_and_the_origins(tmp_path):
    env = admin_env(tmp_path / "instance", "https://id.example.org", HALLMARK_KEY_PASSPHRASE=PASSPHRASE)
    done = hallmark_cli("stack", "init", "--public-url", "rekor=https://rekor.example.org", "--public-url",
                        "fulcio=https://fulcio.example.org", "--public-url", "tsa=https://tsa.example.org",
                        "--public-url", "tesseract=https://ct.example.org", env=env)
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "instance" / "stack"
    signing = json.loads((folder / "signing_config.v0.2.json").read_text())
    assert signing["rekorTlogUrls"][0]["url"] == "https://rekor.example.org"
    assert signing["tsaUrls"][0]["url"] == "https://tsa.example.org/api/v1/timestamp"
    root = json.loads((folder / "trusted_root.json").read_text())
    assert root["ctlogs"][0]["baseUrl"] == "https://ct.example.org/hallmark-ct"
    config = json.loads((folder / "stack.json").read_text())
    assert config["public_urls"]["fulcio"] == "https://fulcio.example.org"
    assert "origin ct.example.org/hallmark-ct" in done.stdout and "origin rekor.example.org" in done.stdout


@pytest.mark.parametrize("value,said", [
    ("rekor", "takes SERVICE=URL"), ("ledger=https://x.example.org", "the services are"),
    ("rekor=ftp://x.example.org", "scheme and host only"), ("rekor=https://x.example.org/path", "scheme and host only"),
])
def test_a_bad_public_url_is_refused_and_nothing_is_made(tmp_path, value, said):
    env = admin_env(tmp_path / "instance", HALLMARK_KEY_PASSPHRASE=PASSPHRASE)
    done = hallmark_cli("stack", "init", "--public-url", value, env=env)
    assert done.returncode == 1 and said in done.stderr, done.stderr
    assert not (tmp_path / "instance" / "stack" / "stack.json").exists()


def test_ca_custody_pkcs11_without_a_token_configured_is_refused_and_nothing_is_made(tmp_path):
    env = admin_env(tmp_path / "instance", HALLMARK_KEY_PASSPHRASE=PASSPHRASE)
    done = hallmark_cli("stack", "init", "--ca-custody", "pkcs11", env=env)
    assert done.returncode == 1 and "needs HALLMARK_PKCS11_MODULE" in done.stderr, done.stderr
    assert not (tmp_path / "instance" / "stack" / "stack.json").exists()


def test_a_stack_made_for_another_issuer_is_refused_by_up_and_status(stack_env):
    env, _, _ = stack_env
    moved = {**env, "HALLMARK_ISSUER": "http://localhost:9999"}
    for command in ("up", "status"):
        done = hallmark_cli("stack", command, env=moved)
        assert done.returncode == 1 and "was made for the issuer http://localhost:8080" in done.stderr, done.stderr


def test_binding_beyond_loopback_needs_public_names(tmp_path):
    env = admin_env(tmp_path / "instance", HALLMARK_KEY_PASSPHRASE=PASSPHRASE)
    done = hallmark_cli("stack", "init", "--host", "0.0.0.0", env=env)
    assert done.returncode == 1 and "give --public-host NAME" in done.stderr, done.stderr
    done = hallmark_cli("stack", "init", "--host", "0.0.0.0", "--public-host", "sigstore.example.org", env=env)
    assert done.returncode == 0, done.stderr
