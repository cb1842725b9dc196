"""The attestation policy in real Chromium: its virtual authenticator (CTAP2) answers ``direct`` attestation
with ``packed`` under a batch certificate of its own model. A test BLOB lists that model with the batch
certificate's key as its root; the policy then names it, refuses it when revoked, refuses it when another
model is required, and (with no metadata) asks nothing and names nothing."""

from __future__ import annotations

import base64

import cbor2
import pytest

from hallmark_testing.browser import key_context
from hallmark_testing.helpers import new_invite
from hallmark_testing.mds import FidoTestService, entry
from hallmark_testing.servers import LiveServer

CHROMIUM_AAGUID = "01020304-0506-0708-0102-030405060708"     # the virtual authenticator's model


@pytest.fixture(scope="module")
def chromium_batch_certificate(browser, tmp_path_factory) -> bytes:
    """The attestation certificate Chromium's virtual authenticator signs with, read off one registration
    made on a Hallmark page (its key is fixed; the certificate is made anew each time, signed by that key)."""
    server = LiveServer(tmp_path_factory.mktemp("probe"))
    context, page = key_context(browser)
    try:
        page.goto(f"{server.url}/login")
        encoded = page.evaluate("""async () => {
          const made = await navigator.credentials.create({publicKey: {challenge: new Uint8Array(32),
            rp: {name: 'probe', id: 'localhost'}, user: {id: new Uint8Array(8), name: 'p', displayName: 'p'},
            pubKeyCredParams: [{type: 'public-key', alg: -7}], attestation: 'direct'}});
          return btoa(String.fromCharCode(...new Uint8Array(made.response.attestationObject))); }""")
    finally:
        context.close()
        server.stop()
    statement = cbor2.loads(base64.b64decode(encoded))
    assert statement["fmt"] == "packed", statement["fmt"]
    return statement["attStmt"]["x5c"][0]


def serve(tmp_path, batch: bytes, *, status: str = "FIDO_CERTIFIED_L1", **policy) -> LiveServer:
    service = FidoTestService()
    blob, root = service.write(tmp_path / "mds", [entry(CHROMIUM_AAGUID, "Chromium Virtual Authenticator", [batch],
                                                        status=status)])
    return LiveServer(tmp_path, mds_blob=str(blob), mds_root=str(root), **policy)


def try_enroll(page, server: LiveServer, username: str) -> None:
    page.goto(f"{server.url}/enroll/{new_invite(server.app)}")
    page.fill("#username", username)
    page.click("#register")


def test_chromium_enrolls_as_a_named_model_under_required_attestation(tmp_path, key_page, chromium_batch_certificate):
    server = serve(tmp_path, chromium_batch_certificate, attestation_required=True,
                   allowed_aaguids=(CHROMIUM_AAGUID,))
    try:
        page = key_page.page
        try_enroll(page, server, "attested")
        page.wait_for_url(f"{server.url}/account")
        model = page.text_content("tr.key td.model")
        assert "Chromium Virtual Authenticator" in model and "hardware" in model
    finally:
        server.stop()


@pytest.mark.parametrize(("policy", "said"), [
    ({"status": "REVOKED"}, "is reported unsafe by the FIDO Alliance (REVOKED"),
    ({"allowed_aaguids": ("cb69481e-8ff7-4039-93ec-0a2729a154a8",)}, "is not one this instance accepts"),
])
def test_chromium_is_refused_when_its_model_is_revoked_or_not_allowed(tmp_path, key_page, chromium_batch_certificate,
                                                                      policy, said):
    server = serve(tmp_path, chromium_batch_certificate, **policy)
    try:
        page = key_page.page
        try_enroll(page, server, "refused")
        page.locator("#status", has_text=said).wait_for()
        assert page.url.startswith(f"{server.url}/enroll/")
    finally:
        server.stop()


def test_without_metadata_chromium_is_asked_nothing_and_not_named(tmp_path, key_page):
    server = LiveServer(tmp_path)
    try:
        page = key_page.page
        try_enroll(page, server, "anonymous")
        page.wait_for_url(f"{server.url}/account")
        assert page.text_content("tr.key td.model").strip() == "Not disclosed"
    finally:
        server.stop()
