"""Every time the API and the CLI's JSON write is spelled one way: RFC 3339 in UTC ending in ``Z``, with
microseconds only when they are not zero (``2024-05-01T12:00:00Z``, ``2024-05-01T12:00:00.250000Z``).

The records' times (pydantic's read models) ended in ``Z``, while those built as plain data — a test run's
``started_at``/``finished_at``/``imported_at``, a status's ``last_synced_at``, a link's ``reviewed_at`` in
``show``, ``show --at``'s dates, the results and coverage of the CLI — were ``isoformat()``'s ``+00:00``: one
instant, two spellings, so a client comparing ``updated_at`` with ``imported_at`` as text, or keeping the newest
time it saw, was silently wrong. A real ``tracertm serve`` over a synced repository with imported results, a
review, database-side edits, deleted records and used and revoked tokens (data in every table the API reads) is
walked route by route, as ``/openapi.json`` lists them, and the CLI's JSON verbs over the same database. On a
PostgreSQL database whose ``TimeZone`` is not UTC even the records' times were written in its offset.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from apikit import api_client, make_token
from conftest import GitRepo, run_cli
from served import serve
from specs import adr, contract
from tracertm import db
from tracertm.engine.sync import sync

RESULTS = Path(__file__).resolve().parent.parent / "results"
API = "/api/v1"
KINDS = ("adrs", "contracts", "features", "scenarios", "step-definitions", "test-cases")
# Anything that starts like a date and a time is a time the output wrote: it must be the one form.
TIME_LIKE = re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d")
ONE_FORM = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$")
# The time fields the walk must meet (so that it cannot pass by meeting none): those of every table it reads.
EXPECTED = {
    "created_at", "updated_at", "deleted_at", "approved_at", "verification_timestamp", "last_used_at",
    "last_executed_at", "last_synced_at", "started_at", "finished_at", "imported_at", "authored_at", "committed_at",
    "reviewed_at", "after",
}


class Seen:
    """Every time-like string of the outputs walked: where (output, key path) and as what."""

    def __init__(self) -> None:
        self.keys: set[str] = set()
        self.wrong: list[tuple[str, str, str]] = []

    def walk(self, value: Any, where: str, path: str = "") -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                self.walk(item, where, f"{path}.{key}")
        elif isinstance(value, list):
            for item in value:
                self.walk(item, where, f"{path}[]")
        elif isinstance(value, str) and TIME_LIKE.match(value):
            self.keys.add(path.rsplit(".", 1)[-1])
            if not ONE_FORM.match(value):
                self.wrong.append((where, path, value))


@pytest.fixture
def shop(git_repo: GitRepo, database_url: str) -> GitRepo:
    """The cart project (features, behave steps) with an ADR a feature implements, a contract, and a feature whose
    file is then removed (deleted records); synced twice as project ``shop``, the ADR edited in between (a suspect
    link), then backfilled."""
    shutil.copytree(RESULTS / "project" / "features", git_repo.path / "features")
    git_repo.write("docs/adr/0001-use-carts.md", adr(1, "Use carts"))
    git_repo.write("contracts/cart.yaml", contract(1, "Cart api"))
    git_repo.write("features/pay.feature",
                   "@FEAT-2 @ADR-0001\nFeature: Pay\n\n  @SC-9\n  Scenario: pay\n    Given an empty cart\n")
    git_repo.write("features/gone.feature", "@FEAT-3\nFeature: Gone\n\n  Scenario: g\n    Given an empty cart\n")
    git_repo.commit("seed", date="2024-03-01T10:00:00+02:00")  # an offset: stored and written in UTC
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="shop").errors
    git_repo.write("docs/adr/0001-use-carts.md", adr(1, "Use carts", decision="Kafka."))
    git_repo.remove("features/gone.feature")
    git_repo.commit("edit")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="shop").errors
    # The backfill's checkpoint in the project's metadata (``GET /projects``) holds times too.
    backfill = run_cli("backfill", str(git_repo.path), "--project", "shop", "--database-url", database_url, "-q",
                       "--jobs", "1")
    assert backfill.returncode == 0, backfill.stderr
    return git_repo


@pytest.fixture
def served(shop: GitRepo, database_url: str, tmp_path: Path) -> Iterator[str]:
    with serve(database_url, shop.path, tmp_path / "serve.log") as base:
        yield base


def _json(answer: httpx.Response, where: str) -> Any:
    assert answer.status_code < 300, (where, answer.status_code, answer.text)
    assert answer.headers["content-type"].startswith("application/json"), (where, answer.headers)
    return answer.json()


def _write(client: httpx.Client, shop: GitRepo, auth: dict[str, str], seen: Seen) -> None:
    """The writes whose answers carry times, each answer walked: a report upload, a database-side time on every
    kind that has one, a link review, a test case deleted and restored."""
    report = (RESULTS / "fixtures" / "cart.ndjson").read_bytes()
    upload = client.post(f"{API}/projects/shop/test-runs", params={"commit": shop.head()}, headers=auth,
                         files={"file": ("cart.ndjson", report, "application/x-ndjson")})
    seen.walk(_json(upload, "POST test-runs"), "POST test-runs")
    edits = {
        "adrs/ADR-0001": {"approved_at": "2024-05-01T12:00:00+02:00", "approved_by": "Grace"},
        "contracts/CTR-0001": {"verification_timestamp": "2024-05-01T12:00:00.25Z"},
        "scenarios/SC-1": {"approved_at": "2024-05-01"},
    }
    step = client.get(f"{API}/projects/shop/step-definitions").json()["items"][0]["id"]
    edits[f"step-definitions/{step}"] = {"last_used_at": "2024-05-01T12:00:00"}
    for path, body in edits.items():
        answer = client.patch(f"{API}/{path}", params={"project": "shop"}, json=body,
                              headers={**auth, "If-Match": "*"})
        seen.walk(_json(answer, f"PATCH {path}"), f"PATCH {path}")
    review = client.post(f"{API}/projects/shop/links/review", json={"source": "FEAT-2"}, headers=auth)
    seen.walk(_json(review, "POST links/review"), "POST links/review")
    case = client.get(f"{API}/projects/shop/test-cases").json()["items"][0]["id"]
    for method, path in (("DELETE", f"test-cases/{case}"), ("POST", f"test-cases/{case}/restore"),
                         ("DELETE", f"test-cases/{case}")):
        answer = client.request(method, f"{API}/{path}", headers={**auth, "If-Match": "*"})
        seen.walk(_json(answer, f"{method} {path}"), f"{method} {path}")


def _urls(client: httpx.Client, template: str, head: str) -> list[str]:
    """The URLs of one GET route of ``/openapi.json``, its path parameters filled with what the data has: every
    record of each kind (deleted ones too), link and run; the lists with the deleted records."""
    if template.endswith("/trace/{ident}"):
        return [template.replace("{project}", "shop").replace("{ident}", ident) for ident in ("FEAT-2", "ADR-0001")]
    if "{ident}" in template:
        kind = template.split("/")[3]
        items = client.get(f"{API}/projects/shop/{kind}", params={"include_deleted": "true"}).json()["items"]
        assert items, kind
        urls = [template.replace("{ident}", item["id"]) for item in items]
        if "{commit}" in template:
            # A test case has no revision of a commit (reports, not git, make it): /at is 404 for it.
            urls = [] if kind == "test-cases" else [url.replace("{commit}", head) for url in urls]
        return [url + "?project=shop" for url in urls]
    template = template.replace("{project}", "shop")
    if "{link_id}" in template:
        links = client.get(f"{API}/projects/shop/links").json()["items"]
        return [template.replace("{link_id}", str(link["id"])) for link in links if link["reviewed_at"]]
    if "{run_id}" in template:
        runs = client.get(f"{API}/projects/shop/test-runs").json()["items"]
        return [template.replace("{run_id}", run["id"]) for run in runs]
    extra = {f"{API}/search": "?q=cart&include_deleted=true", f"{API}/facets": "?kind=features&project=shop"}
    if any(template == f"{API}/projects/shop/{kind}" for kind in KINDS):
        return [template + "?include_deleted=true"]
    return [template + extra.get(template, "")]


def test_every_time_of_every_json_route_ends_in_z(served: str, shop: GitRepo, database_url: str) -> None:
    seen = Seen()
    used = make_token(database_url, "write", "dashboard")
    make_token(database_url, "read", "old")  # revoked below
    auth = {"Authorization": f"Bearer {used}"}
    with httpx.Client(base_url=served, timeout=60) as client:
        _write(client, shop, auth, seen)
        routes = [path for path, operations in client.get("/openapi.json").json()["paths"].items()
                  if "get" in operations]
        assert len(routes) >= 30, routes
        for template in routes:
            urls = _urls(client, template, shop.head())
            assert urls or template.endswith("/at/{commit}"), template
            for url in urls:
                seen.walk(_json(client.get(url), url), url)
    listed = json.loads(run_cli("token", "list", "--database-url", database_url, "--format", "json").stdout)
    old = next(t["id"] for t in listed if t["label"] == "old")
    assert run_cli("token", "revoke", old, "--database-url", database_url).returncode == 0

    # The CLI's JSON of the same data: the read models and what ``show``, ``status``, ``results`` and ``coverage``
    # add to them.
    url = ["--database-url", database_url, "--path", str(shop.path)]
    commands = [
        ["status", "--format", "json"], ["list", "features", "--include-deleted", "--format", "json"],
        ["show", "ADR-0001", "--format", "json"], ["show", "SC-1", "--format", "json"],
        ["show", "ADR-0001", "--at", shop.head(), "--format", "json"], ["history", "ADR-0001", "--format", "json"],
        ["search", "cart", "--include-deleted", "--format", "json"], ["results", "runs", "--output", "json"],
        ["results", "list", "--output", "json"], ["coverage", "--format", "json"],
        ["trace", "FEAT-2", "--format", "json"], ["matrix", "--from", "adrs", "--format", "json"],
    ]
    for argv in commands:
        done = run_cli(*argv, *url)
        assert done.returncode == 0, (argv, done.stderr)
        seen.walk(json.loads(done.stdout), " ".join(argv[:2]))
    tokens = run_cli("token", "list", "--database-url", database_url, "--format", "json")
    assert tokens.returncode == 0, tokens.stderr
    listed = json.loads(tokens.stdout)
    assert any(t["revoked_at"] for t in listed) and any(t["last_used_at"] for t in listed), listed
    seen.walk(listed, "token list")

    assert not seen.wrong, "\n".join(f"{where}: {path} = {value}" for where, path, value in seen.wrong)
    assert EXPECTED <= seen.keys, EXPECTED - seen.keys


def test_a_time_filter_takes_either_spelling(served: str) -> None:
    """``changed_since`` (a query parameter) still reads ``Z``, ``+00:00`` and another offset as the same instant:
    the one spelling is what tracertm writes, not what it reads."""
    with httpx.Client(base_url=served, timeout=60) as client:
        for kind in ("adrs", "features"):
            for spellings, listed in ((("2000-01-01T00:00:00Z", "2000-01-01T00:00:00+00:00",
                                        "2000-01-01T02:00:00+02:00"), True),
                                      (("2999-01-01T00:00:00Z", "2999-01-01T00:00:00+00:00"), False)):
                answers = [client.get(f"{API}/projects/shop/{kind}", params={"changed_since": s, "fields": "number"})
                           for s in spellings]
                assert {a.status_code for a in answers} == {200}, [a.text for a in answers]
                numbers = [sorted(item["number"] for item in a.json()["items"]) for a in answers]
                assert all(n == numbers[0] for n in numbers) and bool(numbers[0]) is listed, (kind, numbers)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # SQLite keeps no zone: its times are UTC
def test_a_postgresql_database_in_another_time_zone_still_writes_utc(git_repo: GitRepo, database_url: str) -> None:
    """PostgreSQL gives a ``timestamptz`` in the session's ``TimeZone`` (a server's ``postgresql.conf`` often sets
    the machine's zone): the read models wrote that offset (``2026-12-07T00:09:56.915895+05:30``), the plain data
    too, where a UTC server wrote ``Z`` — the same API, another spelling per server."""
    admin = db.make_engine(database_url)
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(
                f'ALTER DATABASE "{make_url(database_url).database}" SET TimeZone = \'Asia/Kolkata\'')
            connection.commit()
    finally:
        admin.dispose()
    shutil.copytree(RESULTS / "project" / "features", git_repo.path / "features")
    git_repo.commit("cart")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="shop").errors
    seen = Seen()
    with api_client(database_url) as client:
        assert client.get(f"{API}/healthz").status_code == 200
        report = (RESULTS / "fixtures" / "cart.ndjson").read_bytes()
        token = make_token(database_url)
        upload = client.post(f"{API}/projects/shop/test-runs", params={"commit": git_repo.head()},
                             headers={"Authorization": f"Bearer {token}"},
                             files={"file": ("cart.ndjson", report, "application/x-ndjson")})
        seen.walk(_json(upload, "POST test-runs"), "POST test-runs")
        for url in (f"{API}/projects", f"{API}/sync-runs", f"{API}/projects/shop/status",
                    f"{API}/projects/shop/features", f"{API}/projects/shop/scenarios",
                    f"{API}/features/FEAT-1/history", f"{API}/projects/shop/test-runs"):
            seen.walk(_json(client.get(url), url), url)
    for argv in (["list", "scenarios"], ["status"], ["show", "SC-1"]):
        done = run_cli(*argv, "--format", "json", "--database-url", database_url, "--path", str(git_repo.path))
        assert done.returncode == 0, (argv, done.stderr)
        seen.walk(json.loads(done.stdout), " ".join(argv))
    assert not seen.wrong, "\n".join(f"{where}: {path} = {value}" for where, path, value in seen.wrong)
    assert {"created_at", "updated_at", "last_synced_at", "started_at", "imported_at", "committed_at"} <= seen.keys
