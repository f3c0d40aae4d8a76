"""A run's results and a trace graph come a page at a time, over a real ``tracertm serve`` on SQLite and PostgreSQL,
and so do ``tracertm results list`` and ``tracertm trace``.

``GET …/test-runs/{id}`` answered every result of the run (28,000 on the large benchmark corpus: 7 MB) and
``GET …/trace/STEP-n`` every edge of the graph (a step used by 20,000 scenarios: 6.7 MB), where every list of the
API pages with a keyset cursor. The run keeps its fields and gets a page of its results (500 unless ``limit`` says
fewer) with ``page.next`` and a ``Link`` header; the graph gets at most ``limit`` edges, ``truncated`` and the
cursor of the rest. The CLI shows the same pages and prints the command of the next one on stderr."""

from __future__ import annotations

import json
import shlex
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import delete

import tracertm
from apikit import make_token
from conftest import GitRepo, init_repo, isolated, module_database
from served import serve
from tracertm import db
from tracertm.cli import main
from tracertm.models import TestResult

BASE = "/api/v1/projects/shop"
RUNS = f"{BASE}/test-runs"
SCENARIOS = 7
STEPS = (
    "from pytest_bdd import given, when, scenarios, parsers\n\nscenarios('../features/shop.feature')\n\n"
    "@given('a shared step')\ndef shared():\n    pass\n\n"
    "@when(parsers.parse('I pay {amount:d}'))\ndef pay(amount):\n    pass\n")


def _feature() -> str:
    """Every scenario uses the shared step (STEP-1, the definition found first) and one of its own."""
    body = "".join(f"\n  Scenario: buy {n}\n    Given a shared step\n    When I pay {n}\n" for n in range(SCENARIOS))
    return "@FEAT-1\nFeature: Shop\n" + body


def _report(tests: int, failing: frozenset[int] = frozenset()) -> str:
    cases = "".join(
        f'<testcase classname="shop" name="t{n:04d}">' + ("<failure message='no'/>" if n in failing else "")
        + "</testcase>" for n in range(tests))
    return f'<testsuite name="shop">{cases}</testsuite>'


@contextmanager
def _serving_the_shop(git_repo: GitRepo, database_url: str, log: Path) -> Iterator[httpx.Client]:
    """A client of ``tracertm serve`` over the shop project, with a run of 501 tests (every tenth failing)."""
    git_repo.write("features/shop.feature", _feature())
    git_repo.write("tests/test_shop.py", STEPS)
    git_repo.commit("shop")
    assert not tracertm.sync(git_repo.path, database_url=database_url, project="shop", ref="HEAD").errors
    auth = {"Authorization": f"Bearer {make_token(database_url)}", "Content-Type": "application/xml"}
    with serve(database_url, git_repo.path, log) as base, httpx.Client(base_url=base, timeout=60) as client:
        report = _report(501, frozenset(range(0, 501, 10)))
        assert client.post(RUNS, content=report, headers=auth).status_code == 201
        yield client


@pytest.fixture
def shop(git_repo: GitRepo, database_url: str, tmp_path: Path) -> Iterator[httpx.Client]:
    """The shop of a test that writes to it (another run, results deleted)."""
    with _serving_the_shop(git_repo, database_url, tmp_path / "serve.log") as client:
        yield client


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def read_shop(request: pytest.FixtureRequest,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, str]]:
    """(client, database URL): the shop built and served once per database for the tests that only read it (GET,
    'results list', 'trace'). Built, and served, with the identity and home ``_isolated_home`` gives a test."""
    folder = tmp_path_factory.mktemp("shop")
    urls = module_database(request, folder)
    try:
        url = next(urls)
        with isolated(tmp_path_factory), _serving_the_shop(init_repo(folder / "repo"), url,
                                                           folder / "serve.log") as client:
            yield client, url
    finally:
        urls.close()  # _fresh_pg's finally: the database emptied for reuse, or dropped


def _test(n: int) -> str:
    return f"shop::t{n:04d}"  # (classname::name: the test id of a JUnit test case)


def _ok(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _problem(answer: httpx.Response) -> str:
    assert answer.status_code == 400 and answer.headers["content-type"] == "application/problem+json", answer.text
    return str(answer.json()["detail"])


def _follow(client: httpx.Client, first: httpx.Response, key: str) -> list[list[Any]]:
    """Every page from ``first`` on by its ``Link`` header (and ``page.next``, which must name the same cursor)."""
    pages = []
    answer = first
    while True:
        body = _ok(answer)
        pages.append(body[key])
        if body["page"]["next"] is None:
            assert "link" not in answer.headers
            return pages
        link = answer.headers["link"]
        assert link.endswith('>; rel="next"') and f"cursor={body['page']['next']}" in link
        answer = client.get(link[1:-len('>; rel="next"')])


def test_a_run_answers_a_page_of_its_results(read_shop: tuple[httpx.Client, str]) -> None:
    shop, _ = read_shop
    run = _ok(shop.get(RUNS))["items"][0]["id"]
    whole = _ok(shop.get(f"{RUNS}/{run}"))
    # The run's fields as before, and its first 500 results: the 501st is on the next page (all 501 came at once).
    assert whole["id"] == run and whole["counts"]["total"] == 501
    assert len(whole["results"]) == 500 and whole["page"]["limit"] == 500 and whole["page"]["next"]
    assert [r["test"] for r in whole["results"]] == [_test(n) for n in range(500)]
    last = _ok(shop.get(f"{RUNS}/{run}", params={"cursor": whole["page"]["next"]}))
    assert [r["test"] for r in last["results"]] == [_test(500)] and last["page"] == {"next": None, "limit": 500}

    pages = _follow(shop, shop.get(f"{RUNS}/{run}", params={"limit": 200}), "results")
    assert [len(page) for page in pages] == [200, 200, 101]
    assert [r["test"] for page in pages for r in page] == [_test(n) for n in range(501)]

    # The cursor keeps the status (and the page size): the failing ones, 4 at a time.
    pages = _follow(shop, shop.get(f"{RUNS}/{run}", params={"status": "failed", "limit": 4}), "results")
    assert [len(page) for page in pages] == [4] * 12 + [3]
    assert [r["test"] for page in pages for r in page] == [_test(n) for n in range(0, 501, 10)]


def test_a_run_refuses_another_runs_or_a_forged_cursor(shop: httpx.Client, database_url: str) -> None:
    first = _ok(shop.get(RUNS))["items"][0]["id"]
    cursor = _ok(shop.get(f"{RUNS}/{first}", params={"limit": 1}))["page"]["next"]
    auth = {"Authorization": f"Bearer {make_token(database_url)}", "Content-Type": "application/xml"}
    second = shop.post(RUNS, content=_report(3).replace("shop", "other"), headers=auth)
    assert second.status_code == 201, second.text
    assert _problem(shop.get(f"{RUNS}/{second.json()['run']['id']}", params={"cursor": cursor})) == (
        "cursor: it belongs to another list; start again without it")
    scenarios = _ok(shop.get(f"{BASE}/scenarios", params={"limit": 1}))["page"]["next"]
    assert _problem(shop.get(f"{RUNS}/{first}", params={"cursor": scenarios})) == (
        "cursor: it belongs to another list; start again without it")
    graph = _ok(shop.get(f"{BASE}/trace/STEP-1", params={"limit": 1}))["page"]["next"]
    assert _problem(shop.get(f"{RUNS}/{first}", params={"cursor": graph})) == (
        "cursor: not a cursor of this list; start again without it")
    assert _problem(shop.get(f"{BASE}/trace/STEP-1", params={"cursor": cursor})) == (
        "cursor: it belongs to another list; start again without it")
    assert _problem(shop.get(f"{RUNS}/{first}", params={"cursor": "garbage"})) == (
        "cursor: not a cursor of this list; start again without it")


def test_a_shared_steps_graph_comes_in_pages(read_shop: tuple[httpx.Client, str]) -> None:
    shop, _ = read_shop
    whole = _ok(shop.get(f"{BASE}/trace/STEP-1", params={"depth": 1}))
    assert whole["truncated"] is False and whole["page"] == {"next": None, "limit": 500}
    assert len(whole["edges"]) == SCENARIOS and len(whole["nodes"]) == SCENARIOS + 1

    first = shop.get(f"{BASE}/trace/STEP-1", params={"depth": 1, "limit": 3})
    body = _ok(first)
    # Bounded by the limit, marked as truncated; the nodes are the root and the ends of the page's edges.
    assert body["truncated"] is True and len(body["edges"]) == 3 and body["page"]["limit"] == 3
    assert {n["id"] for n in body["nodes"]} == {body["root"]} | {e["source"] for e in body["edges"]}
    assert "depth=1" in first.headers["link"]
    pages = _follow(shop, first, "edges")
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [e for page in pages for e in page] == whole["edges"]

    # Depth 2: the scenarios' features and their other steps, after every edge of the first round.
    deep = _ok(shop.get(f"{BASE}/trace/STEP-1", params={"depth": 2, "limit": 5000}))
    pages = _follow(shop, shop.get(f"{BASE}/trace/STEP-1", params={"depth": 2, "limit": 4}), "edges")
    assert [e for page in pages for e in page] == deep["edges"] and len(deep["edges"]) > SCENARIOS
    assert _problem(shop.get(f"{BASE}/trace/FEAT-1", params={"cursor": body["page"]["next"]})) == (
        "cursor: it belongs to another list; start again without it")


def _cli(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[str, str]:
    assert main(argv) == 0
    out, err = capsys.readouterr()
    return out, err


def _pasted(err: str, database_url: str) -> list[str]:
    """The next page's command printed on stderr, as a user pastes it (the password put back in)."""
    (line,) = [line for line in err.splitlines() if line.startswith("more: ")]
    words = shlex.split(line.removeprefix("more: "))
    assert words[:1] == ["tracertm"]
    place = words.index("--database-url")
    words[place + 1] = database_url
    return words[1:]


def test_results_list_and_trace_show_pages(read_shop: tuple[httpx.Client, str],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    _, database_url = read_shop
    common = ["--project", "shop", "--database-url", database_url]
    out, err = _cli(capsys, ["results", "list", "--output", "json", *common])
    shown = json.loads(out)
    assert len(shown) == 500 and "more: tracertm results list --cursor" in err
    out, err = _cli(capsys, _pasted(err, database_url))
    assert [r["test"] for r in json.loads(out)] == [_test(500)] and "more:" not in err

    out, err = _cli(capsys, ["results", "list", "--status", "failed", "--limit", "50", *common])
    assert len(out.splitlines()) == 51 and "more:" in err  # a heading and 50 results
    out, err = _cli(capsys, _pasted(err, database_url))
    assert len(out.splitlines()) == 2 and "t0500" in out and "more:" not in err

    out, err = _cli(capsys, ["trace", "STEP-1", "--depth", "1", "--limit", "5", *common])
    assert out.splitlines()[-1] == "5 related, 5 links; more follow" and "more: tracertm trace STEP-1" in err
    out, err = _cli(capsys, _pasted(err, database_url))
    assert out.splitlines()[-1] == "2 related, 2 links" and "more:" not in err
    capsys.readouterr()
    assert main(["trace", "STEP-1", "--cursor", "garbage", *common]) == 2
    assert "--cursor: not a cursor of this list; start again without it" in capsys.readouterr().err


def test_results_since_a_date_page_across_runs(shop: httpx.Client, database_url: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    auth = {"Authorization": f"Bearer {make_token(database_url)}", "Content-Type": "application/xml"}
    assert shop.post(RUNS, content=_report(3).replace("shop", "other"), headers=auth).status_code == 201
    common = ["--project", "shop", "--database-url", database_url, "--output", "json"]
    out, err = _cli(capsys, ["results", "list", "--since", "2000-01-01", "--limit", "300", *common])
    shown = json.loads(out)
    out, err = _cli(capsys, _pasted(err, database_url))
    shown += json.loads(out)
    assert "more:" not in err
    # Newest run first (its 3 results), then the first run's 501, by test id: as the whole list has them.
    assert [(r["run_name"], r["test"]) for r in shown] == [
        *[("other", f"other::t{n:04d}") for n in range(3)], *[("shop", _test(n)) for n in range(501)]]


def test_the_longest_test_ids_page_and_a_page_after_deleted_results_is_empty(shop: httpx.Client,
                                                                             database_url: str) -> None:
    auth = {"Authorization": f"Bearer {make_token(database_url)}", "Content-Type": "application/xml"}
    wide = "\u754c" * 400  # clipped to the 255 characters of a test id: 3 bytes each, still within a cursor
    posted = shop.post(RUNS, content=_report(3).replace('name="t', f'name="{wide}'), headers=auth)
    run = posted.json()["run"]["id"]
    pages = _follow(shop, shop.get(f"{RUNS}/{run}", params={"limit": 1}), "results")
    tests = [r["test"] for page in pages for r in page]
    assert len(tests) == 3 and len(set(tests)) == 3 and all(250 <= len(t) <= 255 for t in tests)
    cursor = _ok(shop.get(f"{RUNS}/{run}", params={"limit": 1}))["page"]["next"]
    engine = db.make_engine(database_url)  # the run's results deleted behind the server's back (a hand edit)
    try:
        with db.session(engine) as session, session.begin():
            session.execute(delete(TestResult).where(TestResult.run_id == uuid.UUID(run)))
    finally:
        engine.dispose()
    after = shop.get(f"{RUNS}/{run}", params={"cursor": cursor})
    assert _ok(after)["results"] == [] and after.json()["page"]["next"] is None and "link" not in after.headers
