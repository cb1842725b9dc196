"""Findings P3 and P10: ``--idp A`` trusts the repository bound to A at ``hallmark trust`` time, and
bad discovery documents are one sentence, never a traceback."""

from __future__ import annotations

import shutil

import pytest
from flask import redirect

from hallmark_testing.commands import hallmark_cli


def hallmark(env, *args):
    return hallmark_cli(*args, env=env)


def test_p03_a_changed_discovery_document_cannot_repoint_idp(world, client_env, mirror, root_v1, tmp_path):
    _, _, repository = world
    mirror.serve(repository.folder)
    trusted = hallmark(client_env, "trust", mirror.url, str(root_v1))
    assert trusted.returncode == 0, trusted.stderr
    # Later the discovery document names another repository (one this machine may trust for someone else).
    other = tmp_path / "other"
    shutil.copytree(repository.folder, other)
    mirror.discovery = {"issuer": mirror.url, "hallmark_tuf_url": "http://127.0.0.1:9/elsewhere"}
    again = hallmark(client_env, "trust", mirror.url, str(root_v1))
    assert again.returncode == 2 and "would change its repository" in again.stderr and "--replace" in again.stderr
    # A normal run never reads discovery: it keeps using the bound repository.
    run = hallmark(client_env, "verify", "--idp", mirror.url, "--identity", "x", "--issuer", "y", str(root_v1))
    assert "elsewhere" not in run.stderr + run.stdout
    assert "Refusing the trust metadata" not in run.stderr


def test_p03_replace_says_what_changes(world, client_env, mirror, root_v1):
    _, _, repository = world
    mirror.serve(repository.folder)
    assert hallmark(client_env, "trust", mirror.url, str(root_v1)).returncode == 0
    mirror.discovery = {"issuer": mirror.url, "hallmark_tuf_url": f"{mirror.url}/tuf/"}      # same, with a slash
    same = hallmark(client_env, "trust", mirror.url, str(root_v1))
    assert same.returncode == 0 and "already trusted" in same.stdout
    mirror.discovery = {"issuer": mirror.url, "hallmark_tuf_url": f"http://127.0.0.1:{mirror.port}/tuf"}
    replaced = hallmark(client_env, "trust", "--replace", mirror.url, str(root_v1))
    assert replaced.returncode == 0, replaced.stderr
    assert f"was bound to {mirror.url}/tuf" in replaced.stdout and f"trusted http://127.0.0.1:{mirror.port}/tuf" \
        in replaced.stdout


def test_p03_trusting_shows_the_root_key_fingerprints(world, client_env, mirror, root_v1):
    _, _, repository = world
    mirror.serve(repository.folder)
    trusted = hallmark(client_env, "trust", mirror.url, str(root_v1))
    root = repository.root().signed
    assert trusted.returncode == 0
    for keyid in root.roles["root"].keyids:
        assert keyid in trusted.stdout


def test_p03_plain_http_is_refused_except_on_loopback(client_env, root_v1):
    result = hallmark(client_env, "trust", "http://id.example.org", str(root_v1))
    assert result.returncode == 1 and "plain http on a non-loopback host" in result.stderr


def test_p03_discovery_naming_a_plain_http_repository_is_refused(world, client_env, mirror, root_v1):
    _, _, repository = world
    mirror.serve(repository.folder)
    mirror.discovery = {"issuer": mirror.url, "hallmark_tuf_url": "http://tuf.example.org/repo"}
    result = hallmark(client_env, "trust", mirror.url, str(root_v1))
    assert result.returncode == 1 and "plain http on a non-loopback host" in result.stderr


def test_p03_a_redirecting_discovery_is_refused(world, client_env, mirror, root_v1):
    _, _, repository = world
    mirror.serve(repository.folder)
    mirror.discovery = redirect("http://localhost:9/.well-known/openid-configuration")
    result = hallmark(client_env, "trust", mirror.url, str(root_v1))
    assert result.returncode == 1 and "redirects elsewhere" in result.stderr


def test_p03_sign_refuses_a_repository_that_names_another_provider(world, client_env, mirror, root_v1, tmp_path):
    _, _, repository = world
    mirror.serve(repository.folder)                 # its signing config names the real Hallmark, not the mirror
    assert hallmark(client_env, "trust", mirror.url, str(root_v1)).returncode == 0
    artifact = tmp_path / "a.txt"
    artifact.write_text("x\n")
    result = hallmark(client_env, "sign", "--idp", mirror.url, "--identity-token", "x", str(artifact))
    assert result.returncode == 1 and "names" in result.stderr and "as the identity provider" in result.stderr


@pytest.mark.parametrize("document,message", [
    ([1, 2], "not a discovery document"),
    ("just a string", "not a discovery document"),
    ({"hallmark_tuf_url": "https://x.example/" + "a" * 5000}, "at most 2048 characters"),
    ({"hallmark_tuf_url": 42}, "must be a URL"),
    ({"issuer": "x"}, "does not advertise a TUF repository"),
])
def test_p10_bad_discovery_documents_are_one_sentence(world, client_env, mirror, root_v1, document, message):
    import json as json_module

    from flask import Response

    _, _, repository = world
    mirror.serve(repository.folder)
    mirror.discovery = Response(json_module.dumps(document), mimetype="application/json")
    result = hallmark(client_env, "trust", mirror.url, str(root_v1))
    assert result.returncode == 1 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
