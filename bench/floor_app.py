"""The stack's floor for bench/load.py: a bare Flask app under gunicorn whose one endpoint signs one
ES256 JWT per request (joserfc, as Hallmark signs its tokens) and nothing else: no database, no
session, no OAuth. Hallmark's code flow is two requests that each do much more than this."""

from __future__ import annotations

import time

from flask import Flask, jsonify
from joserfc import jwt
from joserfc.jwk import ECKey

KEY = ECKey.generate_key("P-256", parameters={"kid": "floor"})
app = Flask(__name__)


@app.get("/jwt")
def sign_one() -> tuple:
    now = int(time.time())
    claims = {"iss": "http://localhost", "sub": "floor", "aud": "bench", "iat": now, "exp": now + 600}
    return jsonify(id_token=jwt.encode({"alg": "ES256", "kid": "floor"}, claims, KEY)), 200
