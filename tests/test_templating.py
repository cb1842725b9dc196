"""What the account page shows a person about their browsers."""

import pytest

from idp.web.templating import browser_name


@pytest.mark.parametrize("agent,shown", [
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0 Safari/537.36",
     "Chrome on Linux"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36 Edg/131.0",
     "Edge on Windows"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) Gecko/20100101 Firefox/133.0", "Firefox on macOS"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Safari/604.1",
     "Safari on iOS"),
    ("python-requests/2.32", "python-requests/2.32"),
    ("", "unknown browser"),
])
def test_browser_name(agent, shown):
    assert browser_name(agent) == shown
