"""The signing client: log in to Hallmark, sign through Fulcio and Rekor, verify against an identity policy.

Built on sigstore-python's public API (``SigningContext``, ``ClientTrustConfig``, ``Verifier``).
"""


class ClientError(Exception):
    """A failure the user can act on; the message is one or two sentences saying what to do."""

    exit_code = 1


class UsageError(ClientError):
    """Bad arguments or configuration (exit code 2)."""

    exit_code = 2
