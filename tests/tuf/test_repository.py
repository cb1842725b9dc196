"""The repository itself and the ``hallmark tuf`` commands."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from tuf.api.metadata import Metadata

from hallmark_testing.commands import admin_env, hallmark_cli
from idp.tufrepo.repository import RepositoryError, TrustRepository

TARGETS = {"trusted_root.json": b'{"a": 1}', "signing_config.v0.2.json": b'{"b": 2}'}


@pytest.fixture
def repository(tmp_path):
    repo = TrustRepository(tmp_path / "repo", tmp_path / "keys")
    repo.init(TARGETS, root_keys=3, threshold=2)
    return repo


def version(repo, name):
    return Metadata.from_file(str(repo.folder / name)).signed.version


def test_init_writes_every_role_signed_by_threshold(repository):
    root = repository.root()
    assert root.signed.roles["root"].threshold == 2 and len(root.signed.roles["root"].keyids) == 3
    assert len(root.signatures) == 3 and root.signed.consistent_snapshot
    root.verify_delegate("root", root)
    for name in ("1.targets.json", "1.snapshot.json", "timestamp.json"):
        assert (repository.folder / name).exists()
    assert {p.name.split(".", 1)[1] for p in (repository.folder / "targets").iterdir()} == set(TARGETS)
    with pytest.raises(RepositoryError, match="already exists"):
        repository.init(TARGETS)


def test_publish_bumps_targets_snapshot_and_timestamp(repository):
    assert repository.publish({**TARGETS, "trusted_root.json": b'{"a": 2}'}) == 2
    assert version(repository, "2.snapshot.json") == 2 and version(repository, "timestamp.json") == 2


def test_online_roles_are_resigned_before_they_expire(repository):
    assert repository.refresh_online_roles() is False
    soon = datetime.now(UTC) + timedelta(hours=13)          # past half of the 1-day timestamp lifetime
    assert repository.refresh_online_roles(now=soon) is True
    assert version(repository, "timestamp.json") == 2
    later = datetime.now(UTC) + timedelta(days=4)            # past half of the 7-day snapshot lifetime
    assert repository.refresh_online_roles(now=later) is True
    assert version(repository, "2.snapshot.json") == 2 and version(repository, "timestamp.json") == 3


def test_rotate_root_is_signed_by_old_and_new_keys(repository):
    old = repository.root()
    new = repository.rotate_root(root_keys=2, threshold=2)
    assert new.signed.version == 2 and set(new.signed.roles["root"].keyids).isdisjoint(old.signed.roles["root"].keyids)
    old.verify_delegate("root", new)          # old threshold signed it: clients follow
    new.verify_delegate("root", new)


def test_missing_offline_keys_are_explained(repository):
    for path in repository.key_folder.glob("targets-*.pem"):
        path.unlink()
    with pytest.raises(RepositoryError, match="offline keys"):
        repository.publish(TARGETS)


def run(tmp_path, *args, trust_config=None):
    return hallmark_cli("tuf", *args, env=admin_env(tmp_path / "instance"))


def test_cli_init_export_update_rotate(tmp_path):
    config = tmp_path / "trust_config.json"
    config.write_text(json.dumps({"trustedRoot": {"x": 1}, "signingConfig": {"y": 2}}))
    missing = run(tmp_path, "init")
    assert missing.returncode == 1 and "hallmark devstack" in missing.stderr
    init = run(tmp_path, "init", "--trust-config", str(config))
    assert init.returncode == 0 and "http://localhost:8080/tuf" in init.stdout and "offline" in init.stderr
    out = tmp_path / "root.json"
    assert run(tmp_path, "export-root", str(out)).returncode == 0
    assert json.loads(out.read_text())["signed"]["_type"] == "root"
    assert "targets version 2" in run(tmp_path, "update", "--trust-config", str(config)).stdout
    assert "root version 2" in run(tmp_path, "rotate-root").stdout
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    refused = run(tmp_path, "update", "--trust-config", str(bad))
    assert refused.returncode == 1 and "not a ClientTrustConfig" in refused.stderr
