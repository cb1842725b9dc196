"""The transparency log's HTTP API and proofs (Rekor v1 semantics, docs/design.md, "What the stock sigstore-python client checks")."""

from __future__ import annotations

import base64
import hashlib

import pytest
import requests
import rfc8785
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from test_fulcio_api import chain_of, csr_body, request_cert

from idp.common import merkle


@pytest.fixture(scope="module")
def signer(stack, token_for):
    """A key and its Fulcio certificate (PEM), as a signing client holds them."""
    body, key = csr_body()
    leaf = chain_of(request_cert(stack, token_for("logger"), body))[0]
    return key, leaf.public_bytes(serialization.Encoding.PEM)


def proposed(signer, artifact: bytes, signature: bytes | None = None) -> dict:
    key, cert_pem = signer
    digest = hashlib.sha256(artifact).digest()
    signature = signature or key.sign(digest, ec.ECDSA(Prehashed(hashes.SHA256())))
    return {"apiVersion": "0.0.1", "kind": "hashedrekord",
            "spec": {"data": {"hash": {"algorithm": "sha256", "value": digest.hex()}},
                     "signature": {"content": base64.b64encode(signature).decode(),
                                   "publicKey": {"content": base64.b64encode(cert_pem).decode()}}}}


def post(stack, body):
    return requests.post(f"{stack.url}/api/v1/log/entries", json=body, timeout=10)


def _only(response_json: dict) -> tuple[str, dict]:
    assert len(response_json) == 1
    return next(iter(response_json.items()))


def test_entry_response_shape_and_proofs(stack, signer):
    response = post(stack, proposed(signer, b"artifact one"))
    assert response.status_code == 201, response.text
    uuid, entry = _only(response.json())
    log = stack.app.extensions["devstack"]["log"]
    body = base64.b64decode(entry["body"])
    assert uuid == merkle.leaf_hash(body).hex()
    assert entry["logID"] == hashlib.sha256(log.key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).hexdigest()
    assert isinstance(entry["integratedTime"], int) and isinstance(entry["logIndex"], int)

    promise = {k: entry[k] for k in ("body", "integratedTime", "logID", "logIndex")}
    log.key.public_key().verify(base64.b64decode(entry["verification"]["signedEntryTimestamp"]),
                                rfc8785.dumps(promise), ec.ECDSA(hashes.SHA256()))

    proof = entry["verification"]["inclusionProof"]
    node = merkle.leaf_hash(body)
    index, size = proof["logIndex"], proof["treeSize"]
    assert _root_from_proof(node, index, size, [bytes.fromhex(h) for h in proof["hashes"]]).hex() == proof["rootHash"]

    note, _, signature_line = proof["checkpoint"].partition("\n\n")
    origin, tree_size, root_b64 = note.split("\n")
    assert origin == f"localhost:{stack.port}" and int(tree_size) == size
    assert base64.b64decode(root_b64).hex() == proof["rootHash"]
    assert signature_line.startswith(f"\u2014 localhost:{stack.port} ") and signature_line.endswith("\n")
    stamp = base64.b64decode(signature_line.split(" ")[2])
    assert stamp[:4] == bytes.fromhex(entry["logID"])[:4]
    log.key.public_key().verify(stamp[4:], (note + "\n").encode(), ec.ECDSA(hashes.SHA256()))


def _root_from_proof(node: bytes, index: int, size: int, path: list[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2 verification, written independently of the log's own proof code."""
    fn, sn = index, size - 1
    for sibling in path:
        if fn % 2 == 1 or fn == sn:
            node = merkle.node_hash(sibling, node)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            node = merkle.node_hash(node, sibling)
        fn, sn = fn >> 1, sn >> 1
    assert sn == 0
    return node


def test_proofs_hold_for_every_entry_of_a_growing_tree(stack, signer):
    log = stack.app.extensions["devstack"]["log"]
    for i in range(6):
        post(stack, proposed(signer, f"grow {i}".encode()))
    head = requests.get(f"{stack.url}/api/v1/log", timeout=10).json()
    for index in range(head["treeSize"]):
        entry = requests.get(f"{stack.url}/api/v1/log/entries", params={"logIndex": index}, timeout=10).json()
        _, data = _only(entry)
        proof = data["verification"]["inclusionProof"]
        leaf = merkle.leaf_hash(base64.b64decode(data["body"]))
        assert _root_from_proof(leaf, index, proof["treeSize"],
                                [bytes.fromhex(h) for h in proof["hashes"]]).hex() == head["rootHash"]
    assert head["treeSize"] == log.size


def test_duplicate_answers_409_with_the_existing_entry(stack, signer):
    body = proposed(signer, b"twice")
    first = post(stack, body)
    second = post(stack, body)
    assert second.status_code == 409
    assert _only(second.json())[0] == _only(first.json())[0]
    assert second.headers["Location"].endswith(_only(first.json())[0])


def test_bad_signature_is_refused_and_nothing_logged(stack, signer):
    size = requests.get(f"{stack.url}/api/v1/log", timeout=10).json()["treeSize"]
    other = ec.generate_private_key(ec.SECP256R1())
    forged = other.sign(hashlib.sha256(b"forged").digest(), ec.ECDSA(Prehashed(hashes.SHA256())))
    response = post(stack, proposed(signer, b"forged", signature=forged))
    assert response.status_code == 400 and "does not verify" in response.json()["message"]
    assert requests.get(f"{stack.url}/api/v1/log", timeout=10).json()["treeSize"] == size


@pytest.mark.parametrize("body", [{}, {"kind": "rekord", "apiVersion": "0.0.1"},
                                  {"kind": "hashedrekord", "apiVersion": "0.0.1", "spec": {"data": {}}}])
def test_malformed_entries_are_400(stack, body):
    response = post(stack, body)
    assert response.status_code == 400 and response.json()["message"]


def test_get_and_retrieve(stack, signer):
    body = proposed(signer, b"find me")
    uuid, _ = _only(post(stack, body).json())
    assert _only(requests.get(f"{stack.url}/api/v1/log/entries/{uuid}", timeout=10).json())[0] == uuid
    assert requests.get(f"{stack.url}/api/v1/log/entries/{'0' * 64}", timeout=10).status_code == 404
    found = requests.post(f"{stack.url}/api/v1/log/entries/retrieve", json={"entries": [body]}, timeout=10).json()
    assert [next(iter(e)) for e in found] == [uuid]
    by_uuid = requests.post(f"{stack.url}/api/v1/log/entries/retrieve", json={"entryUUIDs": [uuid]}, timeout=10)
    assert [next(iter(e)) for e in by_uuid.json()] == [uuid]


def test_signing_config_advertises_only_rekor_v1(stack):
    import json

    config = json.loads(stack.trust_config.read_text())
    assert [u["majorApiVersion"] for u in config["signingConfig"]["rekorTlogUrls"]] == [1]
    assert config["signingConfig"]["tsaUrls"] == []
    assert config["trustedRoot"]["certificateAuthorities"][0]["subject"]["commonName"]
    assert config["mediaType"] == "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json"
    assert x509.load_der_x509_certificate(base64.b64decode(
        config["trustedRoot"]["certificateAuthorities"][0]["certChain"]["certificates"][0]["rawBytes"]))
