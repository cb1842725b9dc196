"""Security headers on every response: strict CSP, no framing, no referrer, no sniffing."""

from flask import Flask, Response, request

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
# Pages and answers that carry personal data or one-time secrets: never kept by a browser or a proxy.
NO_STORE_PATHS = ("/account", "/enroll", "/login", "/logout", "/device", "/authorize", "/token", "/userinfo")


def register(app: Flask) -> None:
    defaults = [("Content-Security-Policy", CSP), ("X-Frame-Options", "DENY"), ("X-Content-Type-Options", "nosniff"),
                ("Referrer-Policy", "no-referrer"), ("Cross-Origin-Opener-Policy", "same-origin")]
    if app.extensions["hallmark"].issuer.startswith("https://"):
        defaults.append(("Strict-Transport-Security", "max-age=31536000"))

    @app.after_request
    def add_headers(response: Response) -> Response:
        present = {name.lower() for name, _ in response.headers}     # one pass, not one per header
        for name, value in defaults:
            if name.lower() not in present:
                response.headers.add(name, value)
        if "cache-control" not in present and request.path.startswith(NO_STORE_PATHS):
            response.headers["Cache-Control"] = "no-store"
        return response
