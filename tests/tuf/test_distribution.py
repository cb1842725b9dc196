"""Trust over TUF: stock ``sigstore --instance`` and ``hallmark --idp`` follow the repository, refuse attacks."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from conftest import metadata_version, token
from tuf.api.metadata import Metadata, MetaFile

from hallmark_testing.commands import SIGSTORE, hallmark_cli
from idp.cli.tuf import targets_from_trust_config
from idp.tufrepo import keys


def stock(env, instance_url, *args):
    return subprocess.run([SIGSTORE, "--instance", instance_url, *args], capture_output=True, text=True, env=env,
                          timeout=120)


def hallmark(env, *args):
    return hallmark_cli(*args, env=env)


def test_stock_sigstore_signs_and_verifies_with_only_a_root_file(world, client_env, root_v1, tmp_path):
    idp, _, _ = world
    tuf_url = f"{idp.url}/tuf"
    assert stock(client_env, tuf_url, "trust-instance", str(root_v1)).returncode == 0
    artifact = tmp_path / "a.txt"
    artifact.write_text("over TUF\n")
    signed = stock(client_env, tuf_url, "sign", "--identity-token", token(idp, "tufsigner"), str(artifact))
    assert signed.returncode == 0, signed.stderr
    verified = stock(client_env, tuf_url, "verify", "identity", "--cert-identity", f"{idp.url}/u/tufsigner",
                     "--cert-oidc-issuer", idp.url, str(artifact))
    assert verified.returncode == 0 and "OK" in verified.stderr


def test_hallmark_trust_then_idp(world, client_env, root_v1, tmp_path):
    idp, _, _ = world
    before = hallmark(client_env, "sign", "--idp", idp.url, "--identity-token", "x", str(root_v1))
    assert before.returncode == 2 and "hallmark trust" in before.stderr
    trusted = hallmark(client_env, "trust", idp.url, str(root_v1))
    assert trusted.returncode == 0 and f"{idp.url}/tuf" in trusted.stdout
    artifact = tmp_path / "b.txt"
    artifact.write_text("hallmark over TUF\n")
    signed = hallmark(client_env, "sign", "--idp", idp.url, "--identity-token", token(idp, "hmtuf"), str(artifact))
    assert signed.returncode == 0, signed.stderr
    verified = hallmark(client_env, "verify", "--idp", idp.url, "--identity", f"{idp.url}/u/hmtuf", "--issuer",
                        idp.url, str(artifact))
    assert verified.returncode == 0 and "OK:" in verified.stdout


def _bootstrap_both(env, mirror, root_file):
    assert stock(env, f"{mirror.url}/tuf", "trust-instance", str(root_file)).returncode == 0
    assert hallmark(env, "trust", mirror.url, str(root_file)).returncode == 0


def _refused_by_both(env, mirror, root_file, hallmark_reason: str, bootstrap_first: bool) -> None:
    stock_result = stock(env, f"{mirror.url}/tuf", "trust-instance", str(root_file))
    if bootstrap_first:   # an already-bootstrapped client updating on a normal run
        ours = hallmark(env, "verify", "--idp", mirror.url, "--identity", "x", "--issuer", "y", str(root_file))
    else:
        ours = hallmark(env, "trust", mirror.url, str(root_file))
    assert stock_result.returncode != 0
    assert "Failed to refresh TUF metadata" in stock_result.stderr
    assert ours.returncode == 1 and hallmark_reason in ours.stderr, ours.stderr


@pytest.mark.parametrize("old,new", [(b'"tlogs"', b'"tlogs" '), (b"http://localhost", b"http://localhosx")],
                         ids=["longer", "same-length"])
def test_tampered_target_is_refused(world, client_env, mirror, root_v1, old, new):
    _, _, repository = world
    mirror.serve(repository.folder)
    target = next((mirror.folder / "targets").glob("*.trusted_root.json"))
    target.write_bytes(target.read_bytes().replace(old, new, 1))
    stock_result = stock(client_env, f"{mirror.url}/tuf", "trust-instance", str(root_v1))
    assert stock_result.returncode != 0 and "Failed to download trusted key bundle" in stock_result.stderr
    ours = hallmark(client_env, "trust", mirror.url, str(root_v1))
    assert ours.returncode == 1 and "tampered" in ours.stderr


def _resign(repository, folder, role_file: str, change) -> None:
    md = Metadata.from_file(str(folder / role_file))
    change(md.signed)
    md.signatures.clear()
    root = repository.root().signed
    role = role_file.split(".")[-2]
    for keyid in root.roles[role].keyids:
        md.sign(keys.load(repository.key_folder, keyid), append=True)
    md.to_file(str(folder / role_file))


def test_expired_timestamp_is_refused(world, client_env, mirror, root_v1):
    _, _, repository = world
    mirror.serve(repository.folder)

    def expire(timestamp):
        timestamp.version += 1
        timestamp.expires = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0)

    _resign(repository, mirror.folder, "timestamp.json", expire)
    _refused_by_both(client_env, mirror, root_v1, "expired", bootstrap_first=False)


def test_rollback_to_an_older_snapshot_is_refused(world, client_env, mirror, root_v1, tmp_path):
    idp, stack, repository = world
    old_snapshot = metadata_version(max(repository.folder.glob("*.snapshot.json"), key=metadata_version))
    repository.publish(targets_from_trust_config(stack.trust_config, idp.app.extensions["hallmark"]))
    mirror.serve(repository.folder)
    _bootstrap_both(client_env, mirror, root_v1)           # clients now trust the newer snapshot

    def point_back(timestamp):
        timestamp.version += 1
        timestamp.snapshot_meta = MetaFile(version=old_snapshot)

    _resign(repository, mirror.folder, "timestamp.json", point_back)
    _refused_by_both(client_env, mirror, root_v1, "rollback", bootstrap_first=True)


def test_root_signed_below_threshold_is_refused(world, client_env, mirror, root_v1):
    _, _, repository = world
    mirror.serve(repository.folder)
    md = Metadata.from_file(str(mirror.folder / "1.root.json"))
    md.signed.version = 2
    md.signatures.clear()
    first_key = md.signed.roles["root"].keyids[0]
    md.sign(keys.load(repository.key_folder, first_key))          # 1 of the 2 required signatures
    md.to_file(str(mirror.folder / "2.root.json"))
    _refused_by_both(client_env, mirror, root_v1, "not signed by enough trusted keys", bootstrap_first=False)


def test_clients_follow_a_root_rotation(world, client_env, root_v1, tmp_path):
    idp, _, repository = world
    tuf_url = f"{idp.url}/tuf"
    assert stock(client_env, tuf_url, "trust-instance", str(root_v1)).returncode == 0
    assert hallmark(client_env, "trust", idp.url, str(root_v1)).returncode == 0
    rotated = hallmark({**client_env, "HALLMARK_INSTANCE": str(idp.app.extensions["hallmark"].instance_path),
                        "HALLMARK_ISSUER": idp.url}, "tuf", "rotate-root")
    assert rotated.returncode == 0, rotated.stderr
    new_version = repository.root_version()
    assert new_version >= 2
    artifact = tmp_path / "after-rotation.txt"
    artifact.write_text("still trusted\n")
    signed = stock(client_env, tuf_url, "sign", "--identity-token", token(idp, "rotator"), str(artifact))
    assert signed.returncode == 0, signed.stderr
    ours = hallmark(client_env, "verify", "--idp", idp.url, "--identity", f"{idp.url}/u/rotator", "--issuer", idp.url,
                    str(artifact))
    assert ours.returncode == 0, ours.stdout + ours.stderr
    trusted_roots = list((tmp_path / "data").rglob("root.json"))
    assert trusted_roots and all(json.loads(p.read_text())["signed"]["version"] == new_version for p in trusted_roots)


@pytest.mark.parametrize("name", ["../secret-key", "timestamp.json.bak", "targets/..%2F1.root.json"])
def test_repository_serves_only_metadata_names(world, name):
    import requests

    idp, _, _ = world
    assert requests.get(f"{idp.url}/tuf/{name}", timeout=5).status_code == 404


def test_discovery_advertises_the_repository(world):
    import requests

    idp, _, _ = world
    doc = requests.get(f"{idp.url}/.well-known/openid-configuration", timeout=5).json()
    assert doc["hallmark_tuf_url"] == f"{idp.url}/tuf"
