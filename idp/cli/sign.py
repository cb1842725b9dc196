"""``hallmark sign FILE...``: one login, then a Sigstore bundle next to every file."""

from __future__ import annotations

import re
from pathlib import Path

import click

from idp.cli.client_errors import instance_options, reported
from idp.client import UsageError, instance, login
from idp.client.sign import DEFAULT_JOBS, preflight, sign_files


def check_label(label: str | None) -> None:
    if label is not None and not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", label):
        raise UsageError("--label may contain letters, digits, '.', '_' and '-' only.")


@click.command("sign")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@instance_options
@click.option("--identity-token", default=None, help="Use this token instead of logging in "
              "(also read from SIGSTORE_IDENTITY_TOKEN).")
@click.option("--device", is_flag=True, help="Log in with the device flow (a code to type in any browser).")
@click.option("--issuer", default=None, help="Identity provider URL (default: the trust config's oidcUrls).")
@click.option("--label", default=None, help="Write FILE.<label>.sigstore.json (one bundle per co-signer).")
@click.option("--overwrite", is_flag=True, help="Replace existing bundles.")
@click.option("--jobs", default=DEFAULT_JOBS, show_default=True, type=click.IntRange(1, 64),
              help="Files signed at once (their log entries share the wait for a checkpoint).")
@reported
def command(files: tuple[Path, ...], trust_config: str | None, idp: str | None, identity_token: str | None,
            device: bool,
            issuer: str | None, label: str | None, overwrite: bool, jobs: int) -> None:
    """Sign FILES: key touch → token → certificate → signature → transparency log → bundle."""
    check_label(label)
    target = instance.resolve(trust_config, idp)
    preflight(list(files), label=label, overwrite=overwrite)        # before any login: no wasted touch
    token = login.obtain_token(issuer_url=issuer or target.oidc_url, identity_token=identity_token, device=device)
    sign_files(list(files), token, target, overwrite=overwrite, label=label, jobs=jobs)
