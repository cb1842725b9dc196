"""HTTP API of the stack: Fulcio v2 (``/api/v2``) and Rekor v1 (``/api/v1``)."""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives import serialization
from flask import Blueprint, Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from idp.devstack.ca import RequestRejected, public_key_from_csr, public_key_from_pop
from idp.devstack.rekor import DuplicateEntry, EntryRejected
from idp.devstack.tokens import TokenRejected

fulcio_bp = Blueprint("fulcio", __name__)
rekor_bp = Blueprint("rekor", __name__)


def _stack() -> dict[str, Any]:
    stack: dict[str, Any] = current_app.extensions["devstack"]
    return stack


INVALID_ARGUMENT = 3          # the gRPC status code Fulcio's gateway puts in its body for a refused token
TOKEN_REFUSED = "There was an error processing the identity token"


def grpc_error(status: int, message: str, *, code: int | None = None,
               details: list[str] | None = None) -> tuple[Response, int]:
    """Errors in the grpc-gateway shape Fulcio and Rekor use: ``{"code": N, "message": "..."}``."""
    return jsonify(code=status if code is None else code, message=message, details=details or []), status


@fulcio_bp.errorhandler(HTTPException)
@rekor_bp.errorhandler(HTTPException)
def http_error(exc: HTTPException) -> ResponseReturnValue:
    return grpc_error(exc.code or 500, exc.description or exc.name)


@fulcio_bp.post("/api/v2/signingCert")
def signing_cert() -> ResponseReturnValue:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return grpc_error(400, "request body must be a JSON object")
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else None
    credentials = body.get("credentials")
    token = token or (credentials.get("oidcIdentityToken") if isinstance(credentials, dict) else None)
    if not isinstance(token, str) or not token:
        return grpc_error(401, "missing identity token: send 'Authorization: Bearer <token>' or "
                               "credentials.oidcIdentityToken")
    try:
        principal = _stack()["verifier"].verify(token)
    except TokenRejected as exc:
        # As the real Fulcio answers (HTTP 400, gRPC code 3, one sentence for every reason); the
        # stand-in also gives the reason in ``details``, where the real one gives it only in its log.
        current_app.logger.warning("refused identity token: %s", exc)
        return grpc_error(400, TOKEN_REFUSED, code=INVALID_ARGUMENT, details=[str(exc)])
    try:
        if body.get("certificateSigningRequest"):
            public_key = public_key_from_csr(str(body["certificateSigningRequest"]))
        elif isinstance(body.get("publicKeyRequest"), dict):
            pkr = body["publicKeyRequest"]
            key_info = pkr.get("publicKey") if isinstance(pkr.get("publicKey"), dict) else {}
            public_key = public_key_from_pop(str(key_info.get("content", "")),
                                             str(pkr.get("proofOfPossession", "")), principal.name)
        else:
            raise RequestRejected("send certificateSigningRequest or publicKeyRequest")
    except RequestRejected as exc:
        return grpc_error(400, str(exc))
    issued = _stack()["ca"].issue(principal, public_key)
    return jsonify({"signedCertificateEmbeddedSct": {"chain": {"certificates": issued.pem_chain()}}}), 201


@fulcio_bp.get("/api/v2/trustBundle")
def trust_bundle() -> ResponseReturnValue:
    chain = [c.public_bytes(serialization.Encoding.PEM).decode() for c in _stack()["ca"].chain]
    return jsonify({"chains": [{"certificates": chain}]})


@fulcio_bp.get("/api/v2/configuration")
def configuration() -> ResponseReturnValue:
    issuers = []
    for issuer in _stack()["config"].issuers.values():
        entry = {"issuerUrl": issuer.issuer_url, "audience": issuer.client_id,
                 "challengeClaim": "email" if issuer.type == "email" else "sub"}
        if issuer.subject_domain:
            entry["subjectDomain"] = issuer.subject_domain
        issuers.append(entry)
    return jsonify({"issuers": issuers})


@rekor_bp.get("/api/v1/log")
def log_info() -> ResponseReturnValue:
    return jsonify(_stack()["log"].tree_head())


@rekor_bp.post("/api/v1/log/entries")
def create_entry() -> ResponseReturnValue:
    log = _stack()["log"]
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return grpc_error(400, "request body must be a JSON proposed entry")
    try:
        entry = log.append(body)
    except EntryRejected as exc:
        return grpc_error(400, str(exc))
    except DuplicateEntry as dup:
        response = jsonify(log.render(log.by_uuid(dup.uuid)))
        response.status_code = 409
        response.headers["Location"] = f"/api/v1/log/entries/{dup.uuid}"
        return response
    response = jsonify(log.render(entry))
    response.status_code = 201
    response.headers["Location"] = f"/api/v1/log/entries/{entry.uuid}"
    return response


@rekor_bp.get("/api/v1/log/entries/<uuid>")
def get_entry(uuid: str) -> ResponseReturnValue:
    log = _stack()["log"]
    entry = log.by_uuid(uuid)
    if entry is None:
        return grpc_error(404, f"no entry with UUID {uuid}")
    return jsonify(log.render(entry))


@rekor_bp.get("/api/v1/log/entries")
def get_entry_by_index() -> ResponseReturnValue:
    log = _stack()["log"]
    index = request.args.get("logIndex", "")
    entry = log.by_index(int(index)) if index.isdigit() else None
    if entry is None:
        return grpc_error(404, f"no entry at logIndex {index!r}")
    return jsonify(log.render(entry))


@rekor_bp.post("/api/v1/log/entries/retrieve")
def retrieve() -> ResponseReturnValue:
    log = _stack()["log"]
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return grpc_error(400, "request body must be a JSON object")
    def listed(name: str) -> list[Any]:
        value = body.get(name)
        return value if isinstance(value, list) else []

    found = [log.by_uuid(str(uuid)) for uuid in listed("entryUUIDs")]
    found += [log.by_index(int(i)) if str(i).isdigit() else None for i in listed("logIndexes")]
    found += [log.find(p) if isinstance(p, dict) else None for p in listed("entries")]
    return jsonify([log.render(e) for e in found if e is not None])
