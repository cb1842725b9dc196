"""A browser-like HTTP client with the Flask test client's shape, so that the same helpers drive a
Hallmark in this process and one running anywhere on 127.0.0.1."""

from __future__ import annotations

from typing import Any

import requests


class HttpResponse:
    """The few parts of a Flask test response the helpers use, over a real HTTP response."""

    def __init__(self, response: requests.Response):
        self.raw = response
        self.status_code = response.status_code
        self.headers = response.headers

    def get_json(self) -> Any:
        try:
            return self.raw.json()
        except ValueError:
            return None

    def get_data(self, as_text: bool = False) -> str | bytes:
        return self.raw.text if as_text else self.raw.content


class HttpClient:
    """A browser-like HTTP client (cookies kept, redirects not followed) with the Flask test client's shape."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.http = requests.Session()

    def open(self, method: str, path: str, **kwargs: Any) -> HttpResponse:
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", 10)
        if "content_type" in kwargs:
            kwargs.setdefault("headers", {})["Content-Type"] = kwargs.pop("content_type")
        kwargs.pop("environ_base", None)
        return HttpResponse(self.http.request(method, self.base_url + path, **kwargs))

    def get(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.open("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.open("POST", path, **kwargs)
