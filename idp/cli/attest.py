"""``hallmark attest FILE...``: one login, then an in-toto attestation (DSSE bundle) next to every file."""

from __future__ import annotations

from pathlib import Path

import click

from idp.cli.client_errors import instance_options, reported
from idp.cli.sign import check_label
from idp.client import instance, login
from idp.client.attest import attestation_maker, check_predicate_type, read_predicate
from idp.client.sign import preflight, sign_files


@click.command("attest")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--predicate-type", required=True, help="The predicate's type URI, e.g. https://slsa.dev/provenance/v1.")
@click.option("--predicate", "predicate_path", required=True, type=click.Path(path_type=Path),
              help="A JSON file holding the predicate (an object).")
@instance_options
@click.option("--identity-token", default=None, help="Use this token instead of logging in "
              "(also read from SIGSTORE_IDENTITY_TOKEN).")
@click.option("--device", is_flag=True, help="Log in with the device flow (a code to type in any browser).")
@click.option("--issuer", default=None, help="Identity provider URL (default: the trust config's oidcUrls).")
@click.option("--label", default=None, help="Write FILE.<label>.sigstore.json.")
@click.option("--overwrite", is_flag=True, help="Replace existing bundles.")
@reported
def command(files: tuple[Path, ...], predicate_type: str, predicate_path: Path, trust_config: str | None,
            idp: str | None, identity_token: str | None, device: bool, issuer: str | None, label: str | None,
            overwrite: bool) -> None:
    """Attest FILES: an in-toto statement about each, signed as a DSSE bundle (as PEP 740 uses)."""
    check_label(label)
    make = attestation_maker(check_predicate_type(predicate_type), read_predicate(predicate_path))
    target = instance.resolve(trust_config, idp)
    preflight(list(files), label=label, overwrite=overwrite)        # before any login: no wasted touch
    token = login.obtain_token(issuer_url=issuer or target.oidc_url, identity_token=identity_token, device=device)
    sign_files(list(files), token, target, overwrite=overwrite, label=label, make=make)
