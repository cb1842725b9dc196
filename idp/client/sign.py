"""Signing files: one certificate from Fulcio, one signature and Rekor entry per file, a bundle each."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import TextIO

import requests
from sigstore.errors import Error as SigstoreError
from sigstore.models import Bundle
from sigstore.oidc import IdentityToken
from sigstore.sign import Signer, SigningContext

from idp.client import ClientError
from idp.client.bundles import parse
from idp.client.instance import Instance
from idp.client.shown import shown
from idp.client.verify import verify
from idp.common.private_api import sigstore_service_errors


def bundle_path(artifact: Path, label: str | None = None) -> Path:
    """``FILE.sigstore.json``, or ``FILE.<label>.sigstore.json`` when several people sign one file."""
    return artifact.with_name(f"{artifact.name}.{label}.sigstore.json" if label else f"{artifact.name}.sigstore.json")


GENERIC_FULCIO = "There was an error processing the identity token"
# What the CA or the log refusing looks like to the caller of sigstore's Signer.
SERVICE_ERRORS: tuple[type[Exception], ...] = (SigstoreError, *sigstore_service_errors())


def service_answer(exc: BaseException) -> str | None:
    """What the CA or the log answered when it refused, read from the HTTP error sigstore-python
    raised from (it drops Fulcio's message: a 4xx ``Response`` is falsy). Never a second request:
    a real Fulcio logs every certificate it issues, so asking again could mint another one."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        response = getattr(cause, "response", None)
        if isinstance(cause, requests.HTTPError) and response is not None:
            try:
                answer = response.json()
                details = [d for d in answer.get("details") or [] if isinstance(d, str)]
                message = "; ".join([str(answer.get("message", "")), *details]).strip("; ")
            except (ValueError, AttributeError):
                message = ""
            message = message or response.text.strip()[:300] or response.reason
            return f"{response.url.split('?')[0]} answered HTTP {response.status_code}: {message}"
        cause = cause.__cause__ or cause.__context__
    return None


def explain_refusal(answer: str, issuer: str) -> str:
    """A real Fulcio gives one sentence for every refused token and logs the reason; say where to look."""
    if GENERIC_FULCIO not in answer:
        return answer
    return (f"{answer}. A real Fulcio states its reason only in its own log. Common causes: the token is "
            f"expired or not for audience 'sigstore', {issuer} is not in Fulcio's configuration, or Fulcio "
            "cannot fetch that issuer's keys")


def write_bundle(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` atomically (a temporary file in the same folder, then a rename):
    never through a symlink, never half-written (finding P6). A symlink at ``target`` is replaced
    itself; what it pointed to is untouched."""
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def checked(instance: Instance, path: Path, data: bytes, bundle_json: str, target: Path) -> None:
    """Verify a fresh bundle against the file before it is written (finding P9): a log that answers
    with a tampered or unrelated entry makes ``sign`` fail, not write a bundle that cannot verify."""
    try:
        verify(instance, data, parse(bundle_json, target), identity=None, issuer_url=None)
    except ClientError as exc:
        raise ClientError(f"Signing {shown(path)} failed: the new bundle does not verify "
                          f"({str(exc).removeprefix(f'{shown(target)}: ')}); nothing was written for it.") from exc


def preflight(files: list[Path], *, label: str | None, overwrite: bool) -> None:
    """Everything that can be checked before the login: each file is readable, and its bundle can be
    written (absent, or ``overwrite``; its folder writable), so no key touch is wasted."""
    for path in files:
        if not path.exists():
            raise ClientError(f"{shown(path)}: no such file.")
        if not path.is_file():
            raise ClientError(f"{shown(path)}: not a regular file.")
        if not os.access(path, os.R_OK):
            raise ClientError(f"{shown(path)}: cannot be read (permission denied).")
        target = bundle_path(path, label)
        if target.is_dir():
            raise ClientError(f"{shown(target)} is a folder; remove it or use --label.")
        if os.path.lexists(target) and not overwrite:
            raise ClientError(f"{shown(target)} already exists; pass --overwrite to replace it.")
        if not os.access(target.parent, os.W_OK):
            raise ClientError(f"Cannot write {shown(target)}: its folder is not writable.")


MakeBundle = Callable[[Signer, Path, bytes], Bundle]


def signed_artifact(signer: Signer, path: Path, data: bytes) -> Bundle:
    """A message signature over the file's bytes: what ``hallmark sign`` writes."""
    return signer.sign_artifact(data)


DEFAULT_JOBS = 32


def sign_files(files: list[Path], token: IdentityToken, instance: Instance, *, overwrite: bool = False,
               label: str | None = None, out: TextIO = sys.stderr, make: MakeBundle = signed_artifact,
               jobs: int = DEFAULT_JOBS) -> list[Path]:
    """Sign every file with one certificate (``make`` says how: a message signature, or an
    attestation); writes ``FILE.sigstore.json`` next to each, each one verified before it is written.

    Up to ``jobs`` files are signed at once: a Rekor v2 log answers an entry only once a checkpoint
    holds it (about a second), so entries sent together share that wait. On the first failure no
    further file is started, the ones under way finish, and the error is raised."""
    preflight(files, label=label, overwrite=overwrite)
    context = SigningContext.from_trust_config(instance.trust_config)
    written: list[Path] = []
    lock = threading.Lock()
    try:
        with context.signer(token, cache=True) as signer:
            print(f"Signing as {shown(token.identity)} (issuer {shown(token.issuer)})", file=out, flush=True)

            def one(path: Path) -> None:
                data = path.read_bytes()
                bundle = make(signer, path, data)
                target = bundle_path(path, label)
                text = bundle.to_json()
                checked(instance, path, data, text, target)
                write_bundle(target, text)
                index = parse(text, target).log_index
                with lock:
                    written.append(target)
                    print(f"[{len(written)}/{len(files)}] {shown(path)} → {shown(target)} (log index {index})",
                          file=out, flush=True)

            with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(files)))) as pool:
                futures = [pool.submit(one, path) for path in files]
                try:
                    for future in as_completed(futures):
                        future.result()
                except BaseException:
                    for pending in futures:
                        pending.cancel()
                    raise
    except ClientError:
        raise
    except SERVICE_ERRORS as exc:
        answer = service_answer(exc)
        reason = explain_refusal(answer, token.issuer) if answer else (str(exc) or exc.__class__.__name__)
        raise ClientError(f"Signing failed: {shown(reason)}") from exc
    except requests.RequestException as exc:
        raise ClientError(f"Signing failed: a Sigstore service is unreachable ({exc.__class__.__name__}).") from exc
    except OSError as exc:
        raise ClientError(f"Signing failed: cannot write the bundle ({exc.strerror}).") from exc
    except Exception as exc:  # a malformed answer from the CA or the log surfaces as many types
        raise ClientError(f"Signing failed: a Sigstore service sent a malformed answer "
                          f"({exc.__class__.__name__}: {shown(exc)}).") from exc
    return written
