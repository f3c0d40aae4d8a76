"""``serve --cors-origin`` and ``--allowed-host`` take what their checks compare: an origin as a browser sends it
and a host name without its port. ``https://a.com/`` (never an ``Origin``), ``http://x.com`` or ``x.com:80`` as a
host name were accepted and never matched; ``*`` let every web site read the API from its visitors' browsers, which
the ``Host`` check is there to prevent. Each is one usage line now, and an origin is written as the browser writes
it (lower case, no default port)."""

from __future__ import annotations

import argparse

import pytest

from tracertm.cli.serve import browser_origin, host_name


@pytest.mark.parametrize(("given", "origin"), [
    ("https://dash.example", "https://dash.example"), ("https://Dash.Example:443", "https://dash.example"),
    ("http://dash.example:80", "http://dash.example"), ("HTTP://x:8080", "http://x:8080"),
    ("http://[::1]:3000", "http://[::1]:3000"), ("tauri://localhost", "tauri://localhost"),
    ("chrome-extension://abcdefghijklmnop", "chrome-extension://abcdefghijklmnop"),
])
def test_an_origin_as_the_browser_sends_it(given: str, origin: str) -> None:
    assert browser_origin(given) == origin


@pytest.mark.parametrize("given", ["*", "https://a.com/", "https://a.com/app", "https://u@a.com", "a.com",
                                   "https://a.com?x=1", "https://a.com:99999", " ", "https://dash.example:",
                                   "https://*.example.com", "1http://a.com"])
def test_what_no_browser_sends_is_refused(given: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        browser_origin(given)


@pytest.mark.parametrize("given", ["specs.example.com", "[::1]", "10.0.0.5"])
def test_a_host_name(given: str) -> None:
    assert host_name(given) == given


@pytest.mark.parametrize("given", ["http://x.com", "x.com:80", "x.com/", "::1", "a b", "user@x.com", "*",
                                   "*.example.com"])
def test_what_no_host_header_names_is_refused(given: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="is no host name"):
        host_name(given)
