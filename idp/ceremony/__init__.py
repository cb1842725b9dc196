"""WebAuthn ceremonies: the py_webauthn wrapper, server-side challenges, and the request-level flows built on them."""
