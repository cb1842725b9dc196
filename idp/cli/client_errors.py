"""Turning the signing client's errors into one clear line and a documented exit code."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import click

from idp.client import ClientError

P = ParamSpec("P")
R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., Any])


def reported(command: Callable[P, R]) -> Callable[P, R]:
    """Exit 1 (refused or failed) or 2 (usage) with the error's sentence, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except ClientError as exc:
            click.echo(f"hallmark: {exc}", err=True)
            sys.exit(exc.exit_code)

    return wrapper


def instance_options(command: F) -> F:
    """``--idp URL`` (trust over TUF) or ``--trust-config FILE``: the one place the instance is chosen."""
    command = click.option("--trust-config", "trust_config", envvar="HALLMARK_TRUST_CONFIG", metavar="FILE",
                           help="Sigstore ClientTrustConfig of the instance "
                                "(as for 'sigstore --trust-config').")(command)
    return click.option("--idp", "idp", envvar="HALLMARK_IDP", metavar="URL",
                        help="The community's Hallmark; trust comes from its TUF repository "
                             "(run 'hallmark trust URL root.json' once).")(command)
