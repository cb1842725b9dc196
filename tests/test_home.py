"""The home page and the favicon: what a newcomer meets at ``/``."""

from __future__ import annotations

import hashlib

from hallmark_testing.helpers import enroll
from idp.tufrepo import repository_for


def test_the_home_page_says_what_this_instance_is_and_how_to_sign_with_it(app, client):
    page = client.get("/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    issuer = app.extensions["hallmark"].issuer
    assert f"Hallmark at {issuer}" in text and "ask an administrator" in text and 'id="sign-in"' in text
    assert f"{issuer}/u/USERNAME" in text                                  # the identity format (uri mode)
    assert f"hallmark verify --trust-config trust_config.json --identity {issuer}/u/USERNAME" in text
    assert "root-fingerprint" not in text                                  # no TUF repository yet


def test_with_a_tuf_repository_the_page_gives_the_root_fingerprint_and_the_stock_commands(app, client):
    settings = app.extensions["hallmark"]
    repository = repository_for(settings.instance_path)
    repository.init({"trusted_root.json": b"{}"})
    version = repository.root_version()
    expected = hashlib.sha256((repository.folder / f"{version}.root.json").read_bytes()).hexdigest()
    text = client.get("/").get_data(as_text=True)
    assert f'<code id="root-fingerprint">{expected}</code>' in text
    assert f"hallmark trust {settings.issuer} root.json" in text and f"sigstore --instance {settings.issuer}/tuf" in text
    assert "cosign verify-blob" in text


def test_signed_in_the_home_page_leads_to_the_account(app, client):
    enroll(client, app, "homer")
    text = client.get("/").get_data(as_text=True)
    assert 'id="account" href="/account"' in text and 'id="sign-in"' not in text


def test_the_favicon_answers_instead_of_a_404(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data
    assert 'rel="icon"' in client.get("/login").get_data(as_text=True)


def test_success_is_not_styled_as_a_warning_and_refusals_are_alerts(app, client):
    """A rename that worked is a green status line; one that cannot be done is a red alert."""
    from hallmark_testing.helpers import csrf_token
    from idp.store.models import User

    enroll(client, app, "flashy")
    with app.app_context():
        key = User.query.filter_by(username="flashy").one().active_credentials[0].id
    done = client.post(f"/account/keys/{key}/rename", data={"csrf_token": csrf_token(client), "name": "Blue key"},
                       follow_redirects=True).get_data(as_text=True)
    assert '<p class="flash success" role="status">Renamed' in done
    refused = client.post(f"/account/keys/{key}/rename", data={"csrf_token": csrf_token(client), "name": "  "},
                          follow_redirects=True).get_data(as_text=True)
    assert '<p class="flash error" role="alert">A key needs a name.</p>' in refused


def test_the_readme_shows_screens_that_exist():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    shown = re.findall(r"\]\((docs/screens/[a-z-]+\.png)\)", (root / "README.md").read_text())
    assert len(shown) >= 4 and all((root / path).stat().st_size > 5000 for path in shown)
