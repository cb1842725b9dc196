"""The CA's HTTP API: Fulcio's token checks, request checks and certificate profile (docs/design.md, "The Fulcio contract" and "What the stock sigstore-python client checks")."""

from __future__ import annotations

import base64
import time
from datetime import timedelta

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from joserfc import jwt
from sigstore._internal.sct import verify_sct
from sigstore._internal.trust import KeyringPurpose
from sigstore.models import ClientTrustConfig

from hallmark_testing.helpers import forge_jwt
from idp.common.der import decode_utf8_string

OID_SCT = x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")


def csr_body(key=None) -> tuple[dict, ec.EllipticCurvePrivateKey]:
    key = key or ec.generate_private_key(ec.SECP256R1())
    csr = (x509.CertificateSigningRequestBuilder().subject_name(x509.Name([]))
           .sign(key, hashes.SHA256()))
    return {"certificateSigningRequest": base64.b64encode(csr.public_bytes(serialization.Encoding.PEM)).decode()}, key


def request_cert(stack, token: str, body: dict | None = None, bearer: bool = True):
    body = body or csr_body()[0]
    headers = {"Authorization": f"Bearer {token}"} if bearer else {}
    if not bearer:
        body = {**body, "credentials": {"oidcIdentityToken": token}}
    return requests.post(f"{stack.url}/api/v2/signingCert", json=body, headers=headers, timeout=10)


def chain_of(response) -> list[x509.Certificate]:
    pems = response.json()["signedCertificateEmbeddedSct"]["chain"]["certificates"]
    return [x509.load_pem_x509_certificate(p.encode()) for p in pems]


@pytest.fixture(scope="module")
def hallmark_chain(stack, token_for):
    response = request_cert(stack, token_for("profiled"))
    assert response.status_code == 201, response.text
    return chain_of(response)


def test_chain_is_leaf_intermediate_root(hallmark_chain):
    leaf, intermediate, root = hallmark_chain
    assert leaf.issuer == intermediate.subject and intermediate.issuer == root.subject == root.subject
    for ca in (intermediate, root):
        constraints = ca.extensions.get_extension_for_class(x509.BasicConstraints)
        assert constraints.critical and constraints.value.ca
        usage = ca.extensions.get_extension_for_class(x509.KeyUsage)
        assert usage.critical and usage.value.key_cert_sign


def test_leaf_profile(hallmark, hallmark_chain):
    leaf = hallmark_chain[0]
    assert leaf.subject == x509.Name([])
    assert leaf.not_valid_after_utc - leaf.not_valid_before_utc == timedelta(minutes=10)
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert san.critical and san.value.get_values_for_type(x509.UniformResourceIdentifier) == \
        [f"{hallmark.url}/u/profiled"]
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert not eku.critical and ExtendedKeyUsageOID.CODE_SIGNING in eku.value
    assert leaf.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    assert leaf.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
    by_oid = {e.oid.dotted_string: e.value.value for e in leaf.extensions
              if isinstance(e.value, x509.UnrecognizedExtension)}
    assert by_oid["1.3.6.1.4.1.57264.1.1"] == hallmark.url.encode()
    assert decode_utf8_string(by_oid["1.3.6.1.4.1.57264.1.8"]) == hallmark.url
    assert by_oid["1.3.6.1.4.1.57264.1.24"] == f"{hallmark.url}/u/profiled".encode()


def test_embedded_sct_verifies_against_the_trusted_ct_log(stack, hallmark_chain):
    leaf, *chain = hallmark_chain
    sct = leaf.extensions.get_extension_for_class(x509.PrecertificateSignedCertificateTimestamps).value[0]
    assert sct.log_id == stack.app.extensions["devstack"]["ca"].ct.log_id
    trust = ClientTrustConfig.from_json(stack.trust_config.read_text())
    verify_sct(leaf, chain, trust.trusted_root.ct_keyring(KeyringPurpose.VERIFY))


def test_every_ca_certificate_is_in_the_trusted_root(stack, hallmark_chain):
    trust = ClientTrustConfig.from_json(stack.trust_config.read_text())
    ders = {c.public_bytes(serialization.Encoding.DER) for c in hallmark_chain[1:]}
    authority = trust.trusted_root.get_fulcio_certs()
    assert ders <= {c.public_bytes(serialization.Encoding.DER) for c in authority}


def test_token_in_body_and_public_key_request_with_proof_of_possession(stack, issuers):
    issuer = issuers["email"]
    token = issuer.token(email="pop@example.org", email_verified=True)
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def body(signed: bytes) -> dict:
        proof = base64.b64encode(key.sign(signed, ec.ECDSA(hashes.SHA256()))).decode()
        return {"publicKeyRequest": {"publicKey": {"algorithm": "ECDSA", "content": pem}, "proofOfPossession": proof}}

    ok = request_cert(stack, token, body(b"pop@example.org"), bearer=False)
    assert ok.status_code == 201, ok.text
    assert chain_of(ok)[0].extensions.get_extension_for_class(x509.SubjectAlternativeName).value \
        .get_values_for_type(x509.RFC822Name) == ["pop@example.org"]
    wrong = request_cert(stack, token, body(b"someone-else@example.org"))
    assert wrong.status_code == 400 and "proof of possession" in wrong.json()["message"]


def test_username_certificate_has_othername_san(stack, issuers):
    response = request_cert(stack, issuers["username"].token(sub="bob"))
    san = chain_of(response)[0].extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    other = san.get_values_for_type(x509.OtherName)[0]
    assert other.type_id.dotted_string == "1.3.6.1.4.1.57264.1.7"
    assert decode_utf8_string(other.value) == "bob!localhost"


def _hs256_with_public_key(issuer) -> str:
    claims = issuer.claims(email="a@example.org", email_verified=True)
    return forge_jwt({"alg": "HS256", "kid": "ec-1"}, claims, issuer.ec_key.as_pem(private=False))


def _alg_none(issuer) -> str:
    return forge_jwt({"alg": "none"}, issuer.claims(email="a@example.org", email_verified=True))


def _bad_signature(issuer) -> str:
    token = issuer.token(email="a@example.org", email_verified=True)
    head, payload, sig = token.split(".")
    return ".".join([head, payload, sig[:-4] + ("AAAA" if not sig.endswith("AAAA") else "BBBB")])


REFUSALS = {
    "wrong_audience": (lambda i: i["email"].token(aud="not-sigstore", email="a@example.org", email_verified=True),
                       "expected audience"),
    "expired": (lambda i: i["email"].token(exp=int(time.time()) - 1, email="a@example.org", email_verified=True),
                "expired"),
    "not_yet_valid": (lambda i: i["email"].token(nbf=int(time.time()) + 400, email="a@example.org",
                                                 email_verified=True), "not valid yet"),
    "unknown_issuer": (lambda i: i["email"].token(iss="http://localhost:1", email="a@example.org"), "unknown issuer"),
    "issuer_mismatch_in_discovery": (lambda i: i["mismatch"].token(email="a@example.org", email_verified=True),
                                     "issuer did not match"),
    "bad_signature": (lambda i: _bad_signature(i["email"]), "failed to verify signature"),
    "alg_hs256": (lambda i: _hs256_with_public_key(i["email"]), "alg 'HS256'"),
    "alg_none": (lambda i: _alg_none(i["email"]), "alg 'none'"),
    "alg_not_advertised": (lambda i: i["email"].token(alg="RS256", email="a@example.org", email_verified=True),
                           "alg 'RS256'"),
    "es256_when_nothing_advertised": (lambda i: i["rs256_default"].token(email="a@example.org", email_verified=True),
                                      "alg 'ES256'"),
    "email_verified_false": (lambda i: i["email"].token(email="a@example.org", email_verified=False),
                             "email_verified"),
    "username_with_bang": (lambda i: i["username"].token(sub="alice!evil"), "cannot contain !"),
    "username_email_shaped": (lambda i: i["username"].token(sub="alice@example.org"), "cannot be an email"),
    "not_a_jwt": (lambda i: "garbage", "not a JWT"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_token_refusals_are_400_as_from_the_real_fulcio_with_the_reason_in_details(stack, issuers, case):
    make, reason = REFUSALS[case]
    response = request_cert(stack, make(issuers))
    assert response.status_code == 400, response.text
    answer = response.json()
    assert answer["code"] == 3 and answer["message"] == "There was an error processing the identity token"
    assert reason in answer["details"][0]


def test_rs256_is_accepted_when_no_algorithms_are_advertised(stack, issuers):
    token = issuers["rs256_default"].token(alg="RS256", email="rs@example.org", email_verified=True)
    assert request_cert(stack, token).status_code == 201


def test_uri_subject_must_match_subject_domain(stack, hallmark):
    """A token whose sub points at another host is refused even if Hallmark signed it."""
    from joserfc.jwk import KeySet

    from idp.oauth import signing_keys as keys

    with hallmark.app.app_context():
        key = keys.active_key(hallmark.app.extensions["hallmark"])
    now = int(time.time())
    token = jwt.encode({"alg": "ES256", "kid": key.kid}, {"iss": hallmark.url, "aud": "sigstore",
                                                         "sub": "http://evil.example/u/x", "iat": now,
                                                         "exp": now + 60}, KeySet([key]))
    response = request_cert(stack, token)
    assert response.status_code == 400 and "does not match" in response.json()["details"][0]


def test_csr_with_a_bad_signature_is_400(stack, token_for):
    body, _ = csr_body()
    pem = base64.b64decode(body["certificateSigningRequest"])
    der = x509.load_pem_x509_csr(pem).public_bytes(serialization.Encoding.DER)
    tampered = der[:-3] + bytes([der[-3] ^ 1]) + der[-2:]
    bad_pem = b"-----BEGIN CERTIFICATE REQUEST-----\n" + base64.encodebytes(tampered) + \
        b"-----END CERTIFICATE REQUEST-----\n"
    response = request_cert(stack, token_for("csrbad"), {"certificateSigningRequest": base64.b64encode(bad_pem).decode()})
    assert response.status_code == 400 and "signature" in response.json()["message"]


def test_missing_token_and_malformed_body(stack):
    response = requests.post(f"{stack.url}/api/v2/signingCert", json=csr_body()[0], timeout=10)
    assert response.status_code == 401 and "missing identity token" in response.json()["message"]
    response = requests.post(f"{stack.url}/api/v2/signingCert", data="{", timeout=10,
                             headers={"Content-Type": "application/json", "Authorization": "Bearer x"})
    assert response.status_code == 400


def test_trust_bundle_and_configuration(stack, hallmark):
    bundle = requests.get(f"{stack.url}/api/v2/trustBundle", timeout=10).json()
    certs = [x509.load_pem_x509_certificate(p.encode()) for p in bundle["chains"][0]["certificates"]]
    assert certs[-1].subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "hallmark-devstack-root"
    issuers = requests.get(f"{stack.url}/api/v2/configuration", timeout=10).json()["issuers"]
    assert {"issuerUrl": hallmark.url, "audience": "sigstore", "challengeClaim": "sub",
            "subjectDomain": hallmark.url} in issuers
