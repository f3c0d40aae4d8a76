"""A URL whose percent-encoded bytes are not UTF-8 (``caf%E9``, Latin-1's é; ``%FF``; an encoded surrogate
``%ED%A0%80``) is refused with 400 naming the query parameter (or the path) and what to send instead, as NUL bytes
are. Before, the server decoded such bytes to U+FFFD and answered as if that had been asked: ``?text=caf%E9`` was
200 with no items, ``?tag=%FF`` too — an empty page for a query the client never meant, with nothing saying why."""

from __future__ import annotations

import html
import http.client
import json
from pathlib import Path

import tracertm
from conftest import GitRepo
from served import serve
from specs import adr


def _get(base: str, target: str) -> tuple[int, str, str]:
    """GET ``target`` sent byte for byte as written (no client re-encodes it)."""
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request("GET", target)
        answer = connection.getresponse()
        return answer.status, answer.getheader("content-type") or "", answer.read().decode()
    finally:
        connection.close()


def test_percent_encoded_bytes_that_are_not_utf8_are_400_naming_where(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git café"))
    git_repo.commit("seed")
    url = f"sqlite:///{tmp_path / 'served.db'}"
    assert not tracertm.sync(git_repo.path, database_url=url, project="p", ref="HEAD").errors
    with serve(url, git_repo.path, tmp_path / "serve.log") as base:
        # UTF-8 as it should be still works, and finds the record.
        status, _, body = _get(base, "/api/v1/projects/p/adrs?text=caf%C3%A9")
        assert status == 200 and [i["number"] for i in json.loads(body)["items"]] == ["ADR-0001"], body
        for target, where in (
            ("/api/v1/projects/p/adrs?text=caf%E9", "query parameter 'text'"),
            ("/api/v1/projects/p/adrs?limit=5&tag=%FF", "query parameter 'tag'"),
            ("/api/v1/search?q=%ED%A0%80", "query parameter 'q'"),
            ("/api/v1/projects/p/adrs?%FF=1", "a query parameter's name"),
            ("/api/v1/projects/%FF/adrs", "the path"),
        ):
            status, media, body = _get(base, target)
            assert status == 400, (target, status, body)
            assert media == "application/problem+json", (target, media)
            detail = json.loads(body)["detail"]
            assert detail.startswith(f"{where}: its percent-encoded bytes are not UTF-8"), (target, detail)
            assert "encode the text as UTF-8" in detail and "\n" not in detail, detail
        # A page's URL: the web view's HTML error page, as for a NUL byte.
        status, media, body = _get(base, "/search?q=caf%E9")
        assert status == 400 and media.startswith("text/html"), (status, media)
        assert "query parameter 'q': its percent-encoded bytes are not UTF-8" in html.unescape(body), body[:2000]
