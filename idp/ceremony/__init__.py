"""WebAuthn ceremonies: the py_webauthn wrapper, server-side challenges, and the flows built on them
(login, enrollment and recovery, a person's keys)."""
