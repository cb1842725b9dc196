"""Network failures of the signing client, in one sentence (issue 17): which URL, and what failed."""

from __future__ import annotations

import requests

from idp.client import ClientError
from idp.client.shown import shown


def unreachable(url: str, exc: BaseException) -> ClientError:
    """One sentence for a network failure: which URL, and what failed."""
    cause: BaseException | None = exc
    while cause is not None and not isinstance(cause, requests.RequestException):
        cause = cause.__cause__ or cause.__context__
    if isinstance(cause, requests.ConnectionError):
        what = "the connection was refused or the host is unknown"
    elif isinstance(cause, requests.Timeout):
        what = "it did not answer in time"
    else:
        what = f"the request failed ({(cause or exc).__class__.__name__})"
    return ClientError(f"Cannot reach {shown(url)}: {what}. Is the address right, and is the server running?")
