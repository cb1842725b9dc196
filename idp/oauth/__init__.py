"""The OpenID Connect side: OAuth client records, grants, token claims, the Authlib server, token-signing
keys and token verification."""
