"""``hallmark verify``: check bundles against an identity, or against a who-may-sign-what policy."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import click

from idp.cli.client_errors import instance_options, reported
from idp.client import ClientError, UsageError, instance
from idp.client.bundles import candidates, default_bundle
from idp.client.names import Name, parse_name
from idp.client.policy import decide, load_policy
from idp.client.shown import shown
from idp.client.verify import parse_digest, read_input
from idp.client.verify_many import Job, check_all


def _check_options(files: tuple[Path, ...], identity: str | None, issuer: str | None, policy_path: Path | None,
                   bundles: tuple[Path, ...], digest: str | None) -> None:
    """Options that would be silently ignored are refused instead."""
    if policy_path is not None and (identity or issuer):
        raise UsageError("--policy decides who may sign: do not give --identity or --issuer with it.")
    if policy_path is None and not (identity and issuer):
        raise UsageError("Say who must have signed: --identity ID --issuer URL, or --policy signers.toml.")
    if digest and (files or not bundles or policy_path):
        raise UsageError("--digest replaces the file: give --bundle BUNDLE and no FILE (not with --policy).")
    if digest and len(bundles) > 1:
        raise UsageError("--digest checks one bundle: give --bundle once.")
    if not digest and not files:
        raise UsageError("Name at least one FILE to verify.")
    if not digest and policy_path is None and len(bundles) > len(files):
        raise UsageError(f"{len(bundles)} --bundle options for {len(files)} files: give at most one per FILE, "
                         "in the same order.")


@click.command("verify")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@instance_options
@click.option("--identity", default=None, help="Who must have signed (URI, email, or name!domain).")
@click.option("--issuer", default=None, help="The identity provider that vouched for them.")
@click.option("--policy", "policy_path", default=None, type=click.Path(path_type=Path),
              help="signers.toml: which identities may sign which files, and how many must.")
@click.option("--bundle", "bundles", multiple=True, type=click.Path(path_type=Path),
              help="A bundle to use (repeatable); default FILE.sigstore.json and FILE.<name>.sigstore.json.")
@click.option("--digest", default=None, help="Verify without the file: sha256:<hex> (needs --bundle).")
@reported
def command(files: tuple[Path, ...], trust_config: str | None, idp: str | None, identity: str | None,
            issuer: str | None,
            policy_path: Path | None, bundles: tuple[Path, ...], digest: str | None) -> None:
    """Verify FILES. Exit 0 when every file passes, 1 when any fails, 2 on usage errors."""
    _check_options(files, identity, issuer, policy_path, bundles, digest)
    wanted = None
    if identity:
        try:
            wanted = parse_name(identity)
        except ValueError:
            wanted = Name("unknown", identity)     # matches no certificate: a clear FAIL, never a pass
    rules = load_policy(policy_path) if policy_path is not None else None
    target = instance.resolve(trust_config, idp)
    failures = 0
    if rules is not None:
        for artifact in files:
            try:
                data = read_input(artifact)
            except ClientError as exc:
                click.echo(f"FAIL: {shown(artifact)}: {str(exc).removeprefix(f'{shown(artifact)}: ')}")
                failures += 1
                continue
            decision = decide(artifact, data, hashlib.sha256(data).hexdigest(),
                              candidates(artifact, list(bundles)), rules, target)
            for line in decision.report():
                click.echo(line)
            failures += not decision.passed
    else:
        jobs = [Job(Path(f"<{digest}>"), bundles[0], parse_digest(digest))] if digest else \
            [Job(a, bundles[i] if i < len(bundles) else default_bundle(a)) for i, a in enumerate(files)]
        for passed, line in check_all(target, jobs, wanted, issuer):
            click.echo(line)
            failures += not passed
    sys.exit(1 if failures else 0)
