"""A forged cursor whose filters hold text the database refuses — a NUL, which PostgreSQL never takes in text, or a
lone surrogate (JSON's ``"\\ud800"``), which neither database encodes — is a cursor of no list: 400 with the API's
problem JSON, one line and exit 2 from ``tracertm list``, over a real ``tracertm serve`` on SQLite and PostgreSQL.

The URL never brings a NUL (``api.limits`` refuses ``%00``) nor does a command line, but a cursor is base64: a tag,
path, ADR or text filter with a NUL reached PostgreSQL (a 500 with a traceback in the server log; on the command
line "the database refused the work … check the database role's privileges"), where SQLite listed nothing; a link
cursor's source or target with either reached both (500, the web view's links page too).

A forged cursor whose filter the list refuses (a sort field or status it has not, a query of common words only, a
``changed_since`` naming no commit) was that filter's own error (404 for the commit), not this 400; and a branch or
tag name in its ``changed_since``, which no next page's cursor carries (a commit's full id), was read again."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sample import sync_sample

from conftest import GitRepo
from served import serve
from tracertm.cli import main
from tracertm.web.pages import LIST_KINDS

API = "/api/v1/projects/sample"
NOT_A_CURSOR = "cursor: not a cursor of this list; start again without it"
NUL = "a\u0000"
# Each filter of the record lists with a NUL in its value (as a list where the filter is one).
RECORD_FILTERS: list[dict[str, Any]] = [
    {"tag": [NUL]}, {"any_tag": [NUL]}, {"status": [NUL]}, {"type": [NUL]}, {"sort": [NUL]}, {"text": f"{NUL} b"},
    {"path": NUL}, {"related_adr": NUL}, {"feature": NUL}, {"changed_since": NUL},
]
LINK_FILTERS: list[dict[str, Any]] = [
    {"src": NUL}, {"tgt": NUL}, {"tgt": "ADR-0001\u0000"}, {"t": [NUL]}, {"src": "\ud800"}, {"tgt": "\ud800"},
    {"t": ["\udcff"]},
]


def _forge(cursor: str, query: dict[str, Any]) -> str:
    payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    payload["q"] = {**payload["q"], **query}
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()


def _refused(answer: httpx.Response) -> bool:
    return (answer.status_code == 400 and answer.headers["content-type"] == "application/problem+json"
            and answer.json()["detail"] == NOT_A_CURSOR)


def _cursor(client: httpx.Client, path: str) -> str:
    cursor = client.get(path, params={"limit": 1}).json()["page"]["next"]
    assert isinstance(cursor, str), path
    return cursor


@pytest.fixture
def served(git_repo: GitRepo, database_url: str, tmp_path: Path) -> Any:
    sync_sample(git_repo, database_url)
    with serve(database_url, git_repo.path, tmp_path / "serve.log") as base, \
            httpx.Client(base_url=base, timeout=30) as client:
        yield client, tmp_path / "serve.log"


def test_forged_filter_values_the_database_refuses_are_a_400(served: tuple[httpx.Client, Path]) -> None:
    client, log = served
    for kind in ("adrs", "contracts", "features", "scenarios"):
        cursor = _cursor(client, f"{API}/{kind}")
        for query in RECORD_FILTERS:
            forged = _forge(cursor, query)
            assert _refused(client.get(f"{API}/{kind}", params={"cursor": forged})), (kind, query)
            assert _refused(client.get(f"{API}/{kind}", params={"cursor": forged, "count": "true"})), (kind, query)
        if kind in LIST_KINDS:  # the web view's list pages
            web = client.get(f"/projects/sample/{kind}", params={"cursor": _forge(cursor, {"tag": [NUL]})})
            assert web.status_code == 400 and NOT_A_CURSOR in web.text, kind
    cursor = _cursor(client, f"{API}/links")
    for query in LINK_FILTERS:
        forged = _forge(cursor, query)
        assert _refused(client.get(f"{API}/links", params={"cursor": forged})), query
        web = client.get("/projects/sample/links", params={"cursor": forged})
        assert web.status_code == 400 and NOT_A_CURSOR in web.text, query
    assert "Traceback" not in log.read_text()


def _refusals(git_repo: GitRepo) -> list[dict[str, Any]]:
    """Filters each record list refuses on a first page (each with its own error), then, in a cursor, values of
    ``changed_since`` its pages never carry: a name or an abbreviation, read once on the first page (its commit's
    full id is what the next cursor carries), and a full id no database or repository knows."""
    head = git_repo.git("rev-parse", "HEAD").strip()
    branch = git_repo.git("branch", "--show-current").strip()
    return [{"changed_since": "zzz"}, {"changed_since": "2026-13-45"}, {"sort": ["bogus"]}, {"status": ["bogus"]},
            {"text": "the"}, {"type": ["bogus"]}, {"changed_since": branch}, {"changed_since": head[:7]},
            {"changed_since": head.upper()}, {"changed_since": "0" * 40}]


def test_forged_filters_the_list_refuses_are_a_400(served: tuple[httpx.Client, Path], git_repo: GitRepo) -> None:
    client, log = served
    head = git_repo.git("rev-parse", "HEAD").strip()
    for kind in ("adrs", "contracts", "features", "scenarios"):
        cursor = _cursor(client, f"{API}/{kind}")
        for query in _refusals(git_repo):
            forged = _forge(cursor, query)
            assert _refused(client.get(f"{API}/{kind}", params={"cursor": forged})), (kind, query)
            assert _refused(client.get(f"{API}/{kind}", params={"cursor": forged, "count": "true"})), (kind, query)
            if kind in LIST_KINDS:  # the web view's list pages
                web = client.get(f"/projects/sample/{kind}", params={"cursor": forged})
                assert web.status_code == 400 and NOT_A_CURSOR in web.text, (kind, query)
        # What a cursor does carry: a time as it was written, a commit's full id.
        for since in ("2000-01-01", "20000101", head):
            answer = client.get(f"{API}/{kind}", params={"cursor": _forge(cursor, {"changed_since": since})})
            assert answer.status_code == 200, (kind, since, answer.text)
    assert "Traceback" not in log.read_text()


def test_forged_filter_values_are_one_line_on_the_command_line(git_repo: GitRepo, database_url: str,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    sync_sample(git_repo, database_url)
    assert main(["list", "scenarios", "--limit", "1", "--project", "sample", "--database-url", database_url]) == 0
    cursor = capsys.readouterr().err.split("--cursor ")[1].split()[0]
    for query in [*RECORD_FILTERS, *_refusals(git_repo)]:
        code = main(["list", "scenarios", "--cursor", _forge(cursor, query), "--project", "sample",
                     "--database-url", database_url])
        assert (code, capsys.readouterr().err) == (2, f"tracertm: error: --{NOT_A_CURSOR}\n"), query
