"""A list's next page resumes after the sort-key values its cursor carries (those of the last row as its page read
them), on SQLite and PostgreSQL, through the API and the CLI alike.

Two ways the cursor, which named only its last row, lost records: with ``include_deleted`` the scenario list could
not be paged past a scenario of a deleted feature (the cursor row was read back without ``include_deleted``, and
the session's filter hid its deleted feature: "the record it points at is gone", 400, exit 2); and a change of the
cursor row between pages (its status by a sync, its ``updated_at`` by a PATCH) moved the boundary to its new values,
so the unchanged records between its old and new place were never listed ("no adrs", exit 0). Sort values too long
for a cursor are carried as a digest: the next page then follows if that row kept them, and says so in one line if
not. A cursor of version 1 (the id only) is refused in one line."""

from __future__ import annotations

import base64
import json
import uuid
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from apikit import api_client, make_token
from conftest import GitRepo
from specs import adr
from tracertm.cli import main
from tracertm.engine.sync import sync
from tracertm.repositories.cursor import MAX_CHARS, Cursor, values_digest
from tracertm.repositories.kinds import KINDS
from tracertm.schemas.filters import MAX_QUERY_CHARS, ListFilter

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"
GONE = "@FEAT-1\nFeature: One\n  @SC-1\n  Scenario: a\n    Given x\n  @SC-2\n  Scenario: b\n    Given y\n"
KEPT = "@FEAT-2\nFeature: Two\n  @SC-3\n  Scenario: c\n    Given z\n"


def _url(engine: Any) -> str:
    return str(engine.url.render_as_string(hide_password=False))


def _payload(cursor: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))  # type: ignore[no-any-return]


def _forge(payload: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()


def _walk(client: TestClient, url: str) -> list[str]:
    """Every item's ``FEAT-n/SC-n`` or number, following ``page.next`` to the last page."""
    seen: list[str] = []
    answer = client.get(url)
    while True:
        assert answer.status_code == 200, answer.text
        seen += [f"{i['feature']}/{i['number']}" if i.get("feature") else i["number"] for i in answer.json()["items"]]
        cursor = answer.json()["page"]["next"]
        if cursor is None:
            return seen
        assert len(seen) < 50, f"pages never ended: {seen}"
        answer = client.get(url.split("?")[0], params={"cursor": cursor})


@pytest.fixture
def deleted_feature(git_repo: GitRepo, engine: Any) -> Iterator[TestClient]:
    git_repo.write("features/one.feature", GONE)
    git_repo.write("features/two.feature", KEPT)
    git_repo.commit("two features")
    assert not sync(git_repo.path, engine=engine, project="p").errors
    git_repo.remove("features/one.feature")
    git_repo.commit("one feature removed")
    assert not sync(git_repo.path, engine=engine, project="p").errors
    with api_client(engine) as client:
        yield client


def test_scenarios_of_a_deleted_feature_are_paged_past(deleted_feature: TestClient, engine: Any,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    client = deleted_feature
    every = ["FEAT-1/SC-1", "FEAT-1/SC-2", "FEAT-2/SC-3"]
    for sort in [*KINDS["scenario"].sort_fields, *(f"-{f}" for f in KINDS["scenario"].sort_fields)]:
        for limit in (1, 2):
            walked = _walk(client, f"{API}/projects/p/scenarios?include_deleted=true&sort={sort}&limit={limit}")
            assert sorted(walked) == every, (sort, limit, walked)
    assert _walk(client, f"{API}/projects/p/scenarios?include_deleted=true&limit=1") == every

    capsys.readouterr()
    assert main(["list", "scenarios", "--include-deleted", "--limit", "1", "--project", "p",
                 "--database-url", _url(engine)]) == 0
    cursor = capsys.readouterr().err.split("--cursor ")[1].split()[0]
    assert main(["list", "scenarios", "--cursor", cursor, "--limit", "500", "--project", "p",
                 "--database-url", _url(engine)]) == 0
    out = capsys.readouterr().out
    assert "SC-2" in out and "SC-3" in out and "SC-1" not in out, out


@pytest.fixture
def four_adrs(git_repo: GitRepo, engine: Any) -> Iterator[TestClient]:
    for n in range(1, 5):
        git_repo.write(f"docs/adr/{n:04d}-d{n}.md", adr(n, f"Decision {n}"))
    git_repo.commit("four ADRs")
    assert not sync(git_repo.path, engine=engine, project="p").errors
    with api_client(engine) as client:
        yield client


def test_a_sync_that_moves_the_cursor_row_loses_no_record(four_adrs: TestClient, git_repo: GitRepo, engine: Any,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    url = _url(engine)
    assert main(["list", "adrs", "--sort=status,number", "--limit", "1", "--project", "p",
                 "--database-url", url]) == 0
    cursor = capsys.readouterr().err.split("--cursor ")[1].split()[0]
    api_cursor = four_adrs.get(f"{API}/projects/p/adrs", params={"sort": "status,number", "limit": 1}).json()
    git_repo.write("docs/adr/0001-d1.md", adr(1, "Decision 1", status="Rejected"))
    git_repo.commit("ADR 1 rejected")
    assert not sync(git_repo.path, engine=engine, project="p").errors

    assert main(["list", "adrs", "--cursor", cursor, "--limit", "500", "--project", "p", "--database-url", url]) == 0
    lines = capsys.readouterr().out.splitlines()[1:]
    # The three ADRs after ADR-0001's old place (accepted), and ADR-0001 again at its new one (rejected).
    assert [line.split()[0] for line in lines] == ["ADR-0002", "ADR-0003", "ADR-0004", "ADR-0001"]
    page = four_adrs.get(f"{API}/projects/p/adrs", params={"cursor": api_cursor["page"]["next"], "limit": 500})
    assert [item["number"] for item in page.json()["items"]] == ["ADR-0002", "ADR-0003", "ADR-0004", "ADR-0001"]


@pytest.mark.parametrize("sort", ["updated_at", "-updated_at", "version,number"])
def test_a_patch_of_the_cursor_row_loses_no_record(four_adrs: TestClient, engine: Any, sort: str) -> None:
    client = four_adrs
    before = _walk(client, f"{API}/projects/p/adrs?sort={sort}&limit=500")
    first = client.get(f"{API}/projects/p/adrs", params={"sort": sort, "limit": 2}).json()
    last = first["items"][-1]
    assert [item["number"] for item in first["items"]] == before[:2]
    headers = {"Authorization": f"Bearer {make_token(engine)}", "If-Match": f'"{last["version"]}"'}
    patched = client.patch(f"{API}/adrs/{last['number']}", json={"approved_by": "ada"}, headers=headers)
    assert patched.status_code == 200, patched.text
    # The PATCH made the row newer and its version higher: ascending, it comes again at its new place, last;
    # descending, its new place is before the page's end.
    again = [] if sort.startswith("-") else [last["number"]]
    assert _walk(client, f"{API}/projects/p/adrs?cursor={first['page']['next']}") == before[2:] + again


def test_sort_values_too_long_to_carry_travel_as_a_digest(git_repo: GitRepo, engine: Any,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    long = "Use a title of many words " * 200  # 5,200 characters: no cursor carries it
    for n in range(1, 4):
        git_repo.write(f"docs/adr/{n:04d}-d{n}.md", adr(n, f"{long}{n}"))
    git_repo.commit("ADRs with long titles")
    assert not sync(git_repo.path, engine=engine, project="p").errors
    with api_client(engine) as client:
        first = client.get(f"{API}/projects/p/adrs", params={"sort": "title", "limit": 1}).json()
        cursor = first["page"]["next"]
        assert len(cursor) <= MAX_CHARS and "h" in _payload(cursor) and "s" not in _payload(cursor)
        assert _walk(client, f"{API}/projects/p/adrs?sort=title&limit=1") == ["ADR-0001", "ADR-0002", "ADR-0003"]

        git_repo.write("docs/adr/0001-d1.md", adr(1, f"{long}9"))  # the cursor row's title changes
        git_repo.commit("ADR 1 retitled")
        assert not sync(git_repo.path, engine=engine, project="p").errors
        answer = client.get(f"{API}/projects/p/adrs", params={"cursor": cursor})
        assert answer.status_code == 400 and answer.json()["detail"] == (
            "cursor: the last record of its page has changed or is gone since; start again without it")
    capsys.readouterr()
    assert main(["list", "adrs", "--cursor", cursor, "--project", "p", "--database-url", _url(engine)]) == 2
    assert capsys.readouterr().err == ("tracertm: error: --cursor: the last record of its page has changed or is "
                                       "gone since; start again without it\n")


def test_the_longest_query_with_long_sort_values_makes_a_cursor_the_api_takes_back() -> None:
    tags: list[str] = []
    while True:
        try:
            ListFilter(any_tag=[*tags, f"t{len(tags):05d}"], sort=["feature", "-position", "number", "-title"],
                       include_deleted=True)
        except ValueError:
            break
        tags.append(f"t{len(tags):05d}")
    query = ListFilter(any_tag=tags, sort=["feature", "-position", "number", "-title"], include_deleted=True)
    assert len(json.dumps(query.model_dump(mode="json", exclude_defaults=True))) > MAX_QUERY_CHARS - 40
    for values in (("FEAT-1", 1, "SC-1", "t"), ("F" * 900, 2**40, "S" * 900, "\u65e5" * 3000)):
        text = Cursor("step_definition", uuid.uuid4(), query, uuid.uuid4(), values).encode()
        assert len(text) <= MAX_CHARS
        decoded = Cursor.decode(text)
        assert decoded.filter == query and (decoded.values == values or decoded.digest == values_digest(values))


def test_old_and_forged_cursors_are_refused_in_one_line(four_adrs: TestClient, engine: Any,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    base = f"{API}/projects/p/adrs"
    cursor = four_adrs.get(base, params={"sort": "date,version,-updated_at", "limit": 1}).json()["page"]["next"]
    real = _payload(cursor)
    date, version, updated, number = real["s"]  # (the number: the tie-break after the sort asked for)
    assert isinstance(version, int) and isinstance(date, str) and isinstance(updated, str)
    old = _forge({key: value for key, value in real.items() if key != "s"} | {"v": 1})
    detail = four_adrs.get(base, params={"cursor": old}).json()["detail"]
    assert detail == "cursor: made by an earlier version of tracertm; start again without it"
    # Version 2 sorted ties by the id alone: its values lack the tie-break's.
    assert four_adrs.get(base, params={"cursor": _forge(real | {"v": 2})}).json()["detail"] == detail
    capsys.readouterr()
    assert main(["list", "adrs", "--cursor", old, "--project", "p", "--database-url", _url(engine)]) == 2
    assert capsys.readouterr().err == f"tracertm: error: --{detail}\n"

    forged = [[date, version], [date, version, updated, 1], [date, True, updated], [date, "1", updated],
              [date, 2**70, updated], [date, version, 5], [date, version, "not a time"], [1, version, updated],
              [date, None, updated], [date, version, None], [date, version, "a\u0000"], [date, version, "\ud800"],
              [date, version, {"x": 1}]]
    payloads = [{**real, "s": [*s, number]} for s in forged]
    payloads += [{**real, "s": "abc"}, {**real, "h": "abc"}, {key: v for key, v in real.items() if key != "s"},
                 {**{key: v for key, v in real.items() if key != "s"}, "h": 5}]
    for payload in payloads:
        answer = four_adrs.get(base, params={"cursor": _forge(payload)})
        assert answer.status_code == 400, (payload, answer.text)
        assert answer.json()["detail"] == "cursor: not a cursor of this list; start again without it", payload
    undated = _forge({**real, "s": [None, version, updated, number]})
    assert four_adrs.get(base, params={"cursor": undated}).status_code == 200
