"""A real server: ``tracertm serve`` on a free loopback port, reached over TCP with httpx, stopped in a fixture
even when the test fails."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sample import sync_sample

from apikit import make_token
from conftest import GitRepo, init_repo, run_cli
from served import serve




@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, GitRepo]]:
    """One server of the sample for the module: its tests only read, or are refused before anything is written."""
    work = tmp_path_factory.mktemp("served")
    repo = init_repo(work / "repo")
    url = f"sqlite:///{work / 'served.db'}"
    sync_sample(repo, url)
    with serve(url, repo.path, work / "serve.log", process=True) as base:
        yield base, url, repo


def test_a_served_api_answers_over_tcp_and_git_history_reaches_at(server: tuple[str, str, GitRepo]) -> None:
    base, _, git_repo = server
    with httpx.Client(base_url=base, timeout=10) as client:
        page = client.get("/api/v1/projects/sample/scenarios", params={"limit": 2})
        assert page.status_code == 200 and len(page.json()["items"]) == 2
        assert page.headers["link"].startswith(f"<{base}/api/v1/projects/sample/scenarios?cursor=")
        nxt = client.get(page.headers["link"].split(">")[0].lstrip("<"))
        assert nxt.status_code == 200 and nxt.json()["items"][0]["id"] not in {i["id"] for i in page.json()["items"]}
        head = git_repo.head()
        at = client.get(f"/api/v1/features/FEAT-1/at/{head[:12]}")
        assert at.status_code == 200 and at.json()["commit_sha"] == head
        assert "server" not in page.headers, "no server banner"
        r = client.patch("/api/v1/adrs/ADR-1", json={"approved_by": "x"})
        assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"


def test_serve_refuses_a_bad_database_url_in_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tracertm", "serve", "--database-url", "mysql://nope"], capture_output=True,
        text=True, timeout=60, cwd=tmp_path,
    )
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "--database-url" in result.stderr


def _answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of one HTTP/1.1 response read off ``sock`` (the body by its Content-Length)."""
    raw = b""
    while b"\r\n\r\n" not in raw:
        chunk = sock.recv(65536)
        if not chunk:
            break
        raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    while len(body) < int(headers.get("content-length", "0")):
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(status_line.split()[1]), headers, body


def test_an_upload_without_a_valid_token_is_refused_before_its_body_is_sent(server: tuple[str, str, GitRepo]) -> None:
    """The token is checked before the report is read: the client announces a 5 MB report (under the 64 MB
    --max-report-size) and sends none of it; the 401 (403 for a read-only token) comes at once. A server that read
    the body first would still be waiting for it when the socket's timeout ends the test."""
    base, url, _ = server
    read_only = make_token(url, "read")
    where = urlsplit(base)
    assert where.hostname and where.port
    cases = [(None, 401, "needs a bearer token"), ("Bearer trtm_not_a_token", 401, "unknown or revoked token"),
             (f"Bearer {read_only}", 403, "may only read")]
    for framing in ("Content-Length: 5000000", "Transfer-Encoding: chunked"):
        for authorization, status, detail in cases:
            lines = ["POST /api/v1/projects/sample/test-runs HTTP/1.1", f"Host: {where.netloc}",
                     "Content-Type: application/xml", framing]
            if authorization:
                lines.append(f"Authorization: {authorization}")
            with socket.create_connection((where.hostname, where.port), timeout=10) as sock:
                sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())  # the headers only, no body
                try:
                    got, headers, body = _answer(sock)
                except TimeoutError:
                    pytest.fail(f"no answer without the body ({framing}, {authorization}): the body is read first")
            assert got == status and headers["content-type"] == "application/problem+json", (framing, body)
            assert detail in json.loads(body)["detail"]
    with httpx.Client(base_url=base, timeout=10) as client:  # and nothing was imported
        assert client.get("/api/v1/projects/sample/test-runs").json()["items"] == []


def test_at_a_commit_that_only_moved_a_scenario_gives_its_lines_there(git_repo: GitRepo, tmp_path: Path) -> None:
    """``/at/{commit}`` of a commit that only moved the record in its file (no revision): its lines there."""
    from tracertm.engine.sync import sync

    url = f"sqlite:///{tmp_path / 'at.db'}"
    text = "@FEAT-1\nFeature: F\n\n  @SC-1\n  Scenario: s\n    Given x\n"
    git_repo.write("features/f.feature", text)
    first = git_repo.commit("one")
    sync(git_repo.path, ref="HEAD", database_url=url)
    git_repo.write("features/f.feature", text.replace("Feature: F\n", "Feature: F\n\n\n"))
    moved = git_repo.commit("two blank lines above the scenario")
    sync(git_repo.path, ref="HEAD", database_url=url)
    with serve(url, git_repo.path, tmp_path / "serve.log") as base, httpx.Client(base_url=base, timeout=10) as client:
        lines = {}
        for commit in (first, moved):
            at = client.get(f"/api/v1/scenarios/FEAT-1/SC-1/at/{commit}")
            assert at.status_code == 200 and at.json()["version"] == 1, at.text
            lines[commit] = at.json()["snapshot"]["given_steps"][0]["line"]
        assert lines == {first: 6, moved: 8}
        # A commit the repository does not have: the problem names the path's commit, not the CLI's --at.
        gone = client.get("/api/v1/scenarios/FEAT-1/SC-1/at/" + "ab" * 20)
        assert gone.status_code >= 400 and gone.headers["content-type"] == "application/problem+json", gone.text
        assert gone.json()["detail"].startswith("commit " + "ab" * 20) and "--at" not in gone.text


def test_show_at_prints_what_the_served_at_answers(git_repo: GitRepo, database_url: str, tmp_path: Path) -> None:
    """``show ID --at C --format json`` is the served ``/at/{commit}`` answer for that record and commit (one read
    model, valid against ``tracertm schema revision``): a work tree's sync (no commit of its own), and a later commit
    that only moved the scenario in its file (its lines there)."""
    import jsonschema_rs

    from tracertm.engine.sync import sync

    text = "@FEAT-1\nFeature: F\n\n  @SC-1\n  Scenario: s\n    Given x\n"
    git_repo.write("features/f.feature", text)
    first = git_repo.commit("one")
    sync(git_repo.path, database_url=database_url)
    git_repo.write("features/f.feature", text.replace("Feature: F\n", "Feature: F\n\n\n"))
    moved = git_repo.commit("two blank lines above the scenario")
    schema = run_cli("schema", "revision")
    validator = jsonschema_rs.validator_for(json.loads(schema.stdout), validate_formats=True)
    where = ("--database-url", database_url, "--path", str(git_repo.path), "--format", "json")
    with serve(database_url, git_repo.path, tmp_path / "serve.log") as base, \
            httpx.Client(base_url=base, timeout=10) as client:
        for path, ident, commit in (("features/FEAT-1", "FEAT-1", first), ("scenarios/FEAT-1/SC-1", "SC-1", first),
                                    ("scenarios/FEAT-1/SC-1", "SC-1", moved)):
            served = client.get(f"/api/v1/{path}/at/{commit}")
            assert served.status_code == 200, served.text
            shown = run_cli("show", ident, "--at", commit, *where)
            assert shown.returncode == 0, shown.stderr
            assert json.loads(shown.stdout) == served.json(), (ident, commit)
            assert not list(validator.iter_errors(json.loads(shown.stdout))), shown.stdout
        assert served.json()["snapshot"]["given_steps"][0]["line"] == 8 and served.json()["commit_sha"] is None
