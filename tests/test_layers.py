"""The layers of idp/ (docs/architecture.md) hold: what each package may import, and that the domain
never reads the web request."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

IDP = Path(__file__).resolve().parents[1] / "idp"
DOMAIN = ("people", "ceremony", "oauth", "store", "platform", "common")
# The one domain module that wires Authlib to Flask's request object (it is the server's glue).
WIRING = {"oauth/server.py"}


def imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) of every import in ``path``, relative ones resolved."""
    package = ".".join(("idp", *path.relative_to(IDP).parent.parts))
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            found.append((module, [alias.name for alias in node.names]))
    return found


def modules(*packages: str) -> list[Path]:
    return sorted(p for name in packages for p in (IDP / name).rglob("*.py"))


@pytest.mark.parametrize("path", modules("client"), ids=lambda p: str(p.relative_to(IDP)))
def test_the_signing_client_imports_nothing_from_the_server(path):
    for module, _ in imports(path):
        assert not module.startswith("idp.") or module.startswith(("idp.client", "idp.common")), module


@pytest.mark.parametrize("path", modules("common"), ids=lambda p: str(p.relative_to(IDP)))
def test_common_imports_nothing_else_from_idp(path):
    assert [m for m, _ in imports(path) if m.startswith("idp.") and not m.startswith("idp.common")] == []


@pytest.mark.parametrize("path", modules(*DOMAIN), ids=lambda p: str(p.relative_to(IDP)))
def test_the_domain_neither_imports_the_web_layer_nor_reads_the_request(path):
    found = imports(path)
    assert [m for m, _ in found if m.startswith(("idp.web", "idp.views", "idp.cli"))] == []
    if str(path.relative_to(IDP)) not in WIRING:
        flask_names = {name for module, names in found if module == "flask" for name in names}
        assert flask_names & {"request", "session", "g"} == set()


# The server's layers from the top down (docs/architecture.md): each imports only layers below it.
ORDER = ["views", "web", "oauth", "ceremony", "people", "store", "platform", "common"]


@pytest.mark.parametrize("layer", ORDER)
def test_each_layer_imports_only_the_layers_below_it(layer):
    above = {f"idp.{name}" for name in ORDER[: ORDER.index(layer)]}
    upward = sorted({f"{path.relative_to(IDP)} -> {module}" for path in modules(layer)
                     for module, _ in imports(path) if module.rsplit(".", 1)[0] in above or module in above
                     or any(module.startswith(f"{name}.") for name in above)})
    assert upward == []
