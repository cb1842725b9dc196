"""The pages in two languages: every message in the code and templates is translated into German, the
compiled catalogue matches its source, the language follows the switcher, else Accept-Language, and dates
are written the reader's way. Messages outside a request (the CLI) stay English."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from hallmark_testing.helpers import csrf_token, enroll, login, new_invite, page_text

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "idp" / "translations" / "de" / "LC_MESSAGES"
GERMAN = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set:
    """Every message the code and templates hold, extracted as ``make translations`` does."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    babel = Path(sys.executable).with_name("pybabel")
    subprocess.run([str(babel), "extract", "-F", "babel.cfg", "-k", "_l", "-k", "ngettext:1,2", "--no-location",
                    "-o", str(pot), "."], cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as handle:
        return {m.id for m in read_po(handle) if m.id}


@pytest.fixture(scope="module")
def german():
    with (CATALOG / "messages.po").open("rb") as handle:
        return read_po(handle)


def test_every_message_is_translated_into_german(extracted, german):
    translated = {m.id for m in german if m.id and not m.fuzzy and all(m.string if isinstance(m.string, tuple)
                                                                        else [m.string])}
    missing = sorted(map(str, extracted - translated))
    assert not missing, f"untranslated (run 'make translations', then translate them): {missing[:10]}"
    assert not german.fuzzy
    assert len(extracted) > 300


def test_translations_keep_every_placeholder(german):
    """A translation that drops or renames a %(name)s would fail at render time, or say less."""
    for message in german:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(re.findall(r"%\(\w+\)[sr]|\{\w+\}", ids[0]))
        for string in strings:
            assert set(re.findall(r"%\(\w+\)[sr]|\{\w+\}", string)) == wanted, message.id


def test_the_compiled_catalogue_is_the_source(german):
    with (CATALOG / "messages.mo").open("rb") as handle:
        compiled = read_mo(handle)
    def table(catalog) -> dict:
        return {plain(m.id): plain(m.string) for m in catalog if m.id}

    source, built = table(german), table(compiled)
    assert built == source, "messages.mo is stale: run 'make translations'"


def plain(value):
    """A message's id or string, with plural forms as a tuple (the .po and .mo readers differ)."""
    return tuple(value) if isinstance(value, list | tuple) else value


def test_the_browser_language_chooses_the_page_language(client):
    german_page = page_text(client.get("/login", headers=GERMAN))
    assert 'lang="de"' in german_page and "Mit Sicherheitsschlüssel anmelden" in german_page
    english_page = page_text(client.get("/login", headers={"Accept-Language": "en-GB"}))
    assert 'lang="en"' in english_page and "Sign in with security key" in english_page
    unknown = page_text(client.get("/login", headers={"Accept-Language": "fr, ja;q=0.5"}))
    assert 'lang="en"' in unknown and "Sign in with security key" in unknown


def test_the_switcher_remembers_a_choice_over_the_browser_language(client):
    answer = client.get("/language/en?next=/login", headers=GERMAN)
    assert answer.status_code == 302 and answer.headers["Location"] == "/login"
    assert "hallmark_lang=en" in answer.headers["Set-Cookie"] and "HttpOnly" in answer.headers["Set-Cookie"]
    assert "Sign in with security key" in page_text(client.get("/login", headers=GERMAN))
    client.get("/language/de?next=/login")
    assert "Mit Sicherheitsschlüssel anmelden" in page_text(client.get("/login"))


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"])
def test_the_switcher_goes_back_only_to_this_site(client, target):
    answer = client.get("/language/de", query_string={"next": target})
    assert answer.status_code == 302 and answer.headers["Location"] == "/"


def test_an_unknown_language_is_not_remembered(client):
    answer = client.get("/language/xx?next=/login")
    assert answer.status_code == 302 and "Set-Cookie" not in answer.headers
    assert "hallmark_lang=xx" not in str(client.get_cookie("hallmark_lang"))


def test_the_switcher_on_every_page_links_the_other_language(client):
    page = page_text(client.get("/login?x=1", headers=GERMAN))
    assert 'href="/language/en?next=/login%3Fx%3D1"' in page and 'aria-current="true">Deutsch' in page


def test_refusals_speak_the_readers_language(app, client):
    token = new_invite(app)
    bad = client.post(f"/enroll/{token}/options", json={"username": "X"},
                      headers={"X-CSRFToken": csrf_token(client), **GERMAN})
    assert bad.status_code == 400
    assert bad.get_json()["error_description"] == "Benutzernamen haben 3–32 Zeichen: Kleinbuchstaben, Ziffern und „-“."
    assert "Hier gibt es nichts." in page_text(client.get("/no-such-page", headers=GERMAN))
    gone = page_text(client.get("/enroll/not-a-token", headers=GERMAN))
    assert "Dieser Registrierungslink ist ungültig, abgelaufen oder schon benutzt." in gone


def test_the_account_page_events_and_dates_in_german(app, client):
    auth = enroll(client, app, "anna")
    assert login(client, auth).status_code == 200
    page = page_text(client.get("/account", headers=GERMAN))
    assert "Ihre Aktivität" in page and "Sie haben sich registriert." in page
    assert "Sie haben sich mit „Test key“ angemeldet." not in page       # keys are quoted as typed, not translated
    assert "Sie haben sich mit 'Test key' angemeldet." in page
    assert 'data-event="login.succeeded"' in page                          # the machine name stays
    assert re.search(r"\d\d\.\d\d\.\d{4}, \d\d:\d\d UTC", page), "German dates read 07.12.2026, 15:02 UTC"
    activity = page.split('id="audit"')[1]
    assert re.search(r"<td>\d\d\.\d\d\.\d{4}, \d\d:\d\d:\d\d UTC</td>", activity), "and to the second: 15:02:09"
    english = page_text(client.get("/account", headers={"Accept-Language": "en"}))
    assert "You signed in with 'Test key'." in english
    assert re.search(r"\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d UTC", english), "English dates read 7 Dec 2026, 15:02 UTC"
    assert re.search(r"<td>\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d:\d\d UTC</td>", english.split('id="audit"')[1])


def test_a_flash_message_is_translated(app, client):
    auth = enroll(client, app, "bert")
    keys = page_text(client.get("/account"))
    cred_id = re.search(r'data-key-id="(\d+)"', keys).group(1)
    answer = client.post(f"/account/keys/{cred_id}/rename", data={"name": "Neu", "csrf_token": csrf_token(client)},
                         headers=GERMAN, follow_redirects=True)
    assert "„Test key“ in „Neu“ umbenannt." in page_text(answer)
    assert auth.credential_id


def test_the_script_gets_its_words_in_the_readers_language(client):
    page = client.get("/login", headers=GERMAN).get_data(as_text=True)
    words = json.loads(re.search(r'<script type="application/json" id="script-words">(.*?)</script>', page).group(1))
    assert words["Touch your security key…"] == "Berühren Sie Ihren Sicherheitsschlüssel …"
    script = (ROOT / "idp" / "static" / "webauthn.js").read_text()
    used = {json.loads(f'"{literal}"') for literal in re.findall(r'(?<![\w.])t\("((?:[^"\\]|\\.)*)"\)', script)}
    assert used == set(words), "every sentence webauthn.js shows comes translated from idp/web/script_words.py"


def test_the_cli_stays_english_whatever_the_shell_language(tmp_path):
    from hallmark_testing.commands import admin_env, hallmark_cli

    env = admin_env(tmp_path / "instance", LANG="de_DE.UTF-8", LANGUAGE="de")
    assert hallmark_cli("db", "upgrade", env=env).returncode == 0
    result = hallmark_cli("user", "disable", "nobody", env=env)
    assert result.returncode == 1 and "no user 'nobody'" in result.stderr
