"""A refusal a person can act on: a sentence, the HTTP status, and the error code of the JSON answer.

Services raise it (or a subclass) before they change anything; the web layer renders it
(``idp.web.errors``), committing only what was recorded about the refusal itself, such as the audit
event of a failed login.
"""


class Refused(ValueError):
    """Shown to the person as is."""

    def __init__(self, message: str, status: int = 400, error: str = "invalid_request"):
        super().__init__(message)
        self.status = status
        self.error = error
