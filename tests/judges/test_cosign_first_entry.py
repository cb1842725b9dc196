"""The first entry of a fresh log: cosign writes its bundle in protobuf JSON, which leaves out zero
values — ``logIndex`` 0, and the empty ``hashes`` of a proof in a one-entry tree. Stock
sigstore-python 4.5.1 requires both fields and refuses the bundle; ``hallmark verify`` restores the
zero values and verifies it. If the stock client starts accepting it, this test says so."""

from __future__ import annotations

import json

from judges.test_real_stack_signing import (
    sign_with_cosign,
    verify_with_hallmark,
    verify_with_stock,
)


def test_cosigns_bundle_for_log_index_0(own_stack, tmp_path):
    path = tmp_path / "first.txt"
    path.write_text("the first entry of this log\n")
    bundle = sign_with_cosign(own_stack, path, "first")
    entry = json.loads(bundle.read_text())["verificationMaterial"]["tlogEntries"][0]
    assert "logIndex" not in entry and "hashes" not in entry["inclusionProof"]
    accepted, said = verify_with_hallmark(own_stack, path, bundle, own_stack.identity("first"))
    assert accepted and "log index 0" in said, said
    accepted, said = verify_with_stock(own_stack, path, bundle, own_stack.identity("first"))
    assert not accepted and "logIndex" in said, \
        "stock sigstore-python now reads cosign's first-entry bundle: update docs/sigstore-stack.md"
