"""A JUnit ``timestamp`` written without a time zone: behave (``datetime.now().isoformat()``), googletest and pytest
before 8.3 write the test machine's local time so, jest-junit UTC. Which one was meant cannot be told from the
report: it is read as UTC, and the import says so — on the CLI (a warning on stderr), in ``--output json`` and the
API's summary — instead of dating the run hours off without a word. Real behave and pytest runs, SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from apikit import api_client, make_token
from conftest import GitRepo, force_streaming
from tracertm import db
from tracertm.cli import main
from tracertm.engine.sync import sync
from tracertm.models import TestRun
from tracertm.results import import_results

FIXTURES = Path(__file__).parent / "fixtures"
CART = """Feature: Cart

  Scenario: Add an item
    Given an empty cart
    Then the cart holds 0 items
"""
STEPS = """from behave import given, then


@given("an empty cart")
def empty(context):
    context.items = 0


@then("the cart holds 0 items")
def holds(context):
    assert context.items == 0
"""


@pytest.fixture
def cart(git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[GitRepo]:
    git_repo.write("features/cart.feature", CART)
    git_repo.write("features/steps/cart.py", STEPS)
    git_repo.commit("cart")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="cart").errors
    monkeypatch.chdir(git_repo.path)
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    yield git_repo


def _run(args: list[str], cwd: Path, zone: str) -> None:
    """A test runner in a process of its own whose local time is ``zone``'s."""
    env = {**os.environ, "TZ": zone}
    proc = subprocess.run([sys.executable, "-m", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _started(database_url: str) -> list[dt.datetime | None]:
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            return list(session.execute(select(TestRun.started_at)).scalars())
    finally:
        engine.dispose()


def test_behave_local_time_is_read_as_utc_and_the_import_says_so(
    cart: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str],
) -> None:
    """behave run in Los Angeles writes its local time, no zone: read as UTC (8 hours early), which the import now
    says on stderr, naming the file and the time as written, and lists in its JSON summary."""
    _run(["behave", "--junit", "--junit-directory", "out", "--no-capture", "-f", "null"], cart.path,
         "America/Los_Angeles")
    [report] = sorted((cart.path / "out").glob("*.xml"))
    written = report.read_text().split('timestamp="', 1)[1].split('"', 1)[0]
    assert dt.datetime.fromisoformat(written).tzinfo is None  # what behave writes
    capsys.readouterr()
    assert main(["results", "import", str(report), "--project", "cart"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("imported 1 results into run ")
    assert err == (f"warning: {report}: the run's time {written} names no time zone and was read as UTC; if "
                   "the tests ran in another zone their time is off by its offset: run them with TZ=UTC, or use a "
                   "runner that writes the offset (pytest 8.3 and later)\n")
    assert _started(database_url) == [dt.datetime.fromisoformat(written).replace(tzinfo=dt.UTC)]
    again = import_results(database_url, "cart", [("again.xml", report.read_bytes().replace(b"Cart", b"Kart"))])
    assert again.as_dict()["zoneless_times"] == {"again.xml": written}


def test_pytest_writes_its_offset_and_that_is_no_warning(
    cart: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str],
) -> None:
    """Current pytest writes its local time with the offset (Kathmandu, +05:45): the instant is kept, no warning."""
    cart.write("test_cart.py", "def test_add():\n    assert True\n")
    _run(["pytest", "-q", "-p", "no:cacheprovider", "--junitxml=report.xml", "test_cart.py"], cart.path,
         "Asia/Kathmandu")
    written = (cart.path / "report.xml").read_text().split('timestamp="', 1)[1].split('"', 1)[0]
    assert written.endswith("+05:45")
    capsys.readouterr()
    assert main(["results", "import", "report.xml", "--project", "cart", "--output", "json"]) == 0
    out, err = capsys.readouterr()
    assert (json.loads(out)["zoneless_times"], err) == ({}, "")
    assert _started(database_url) == [dt.datetime.fromisoformat(written).astimezone(dt.UTC)]


def test_jest_junit_writes_utc_without_a_zone_and_that_is_no_warning(cart: GitRepo, database_url: str) -> None:
    """jest-junit writes ``new Date(start).toISOString().slice(0, -5)``: UTC, known by its root ``jest tests``."""
    summary = import_results(database_url, "cart", [FIXTURES / "jest-junit-two-files.xml"])
    assert summary.zoneless_times == {}
    assert min(t for t in _started(database_url) if t) == dt.datetime(2021, 1, 24, 19, 21, 57, tzinfo=dt.UTC)


NAIVE = (b'<testsuites name="nightly"><testsuite name="cart" timestamp="2026-12-01T09:30:00" time="1">'
         b'<testcase classname="Cart" name="Add an item" time="0.1"/></testsuite></testsuites>')


def test_the_streamed_import_and_an_upload_say_it_too(
    cart: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A large report's import in a process of its own, and an upload, whose answer carries the summary."""
    forced = force_streaming(monkeypatch, 1, 2)
    summary = import_results(database_url, "cart", [("big.xml", NAIVE)])
    assert (forced, summary.zoneless_times) == (["streamed"], {"big.xml": "2026-12-01T09:30:00"})
    token = make_token(database_url)
    with api_client(database_url) as client:
        response = client.post("/api/v1/projects/cart/test-runs", content=NAIVE.replace(b"nightly", b"upload"),
                               headers={"Authorization": f"Bearer {token}", "Content-Type": "application/xml"})
    assert response.status_code == 201, response.text
    assert response.json()["summary"]["zoneless_times"] == {"request-body.xml": "2026-12-01T09:30:00"}


def test_testng_names_utc_after_the_time(cart: GitRepo, database_url: str) -> None:
    """TestNG's own JUnit reports write ``2021-03-07T10:36:56 UTC``: the run's time, no longer an unreadable one
    (the run was undated). A zone abbreviation that names several zones (``CST``) stays unreadable: no guess."""
    summary = import_results(database_url, "cart", [FIXTURES / "testng-retried-test.xml"])
    assert summary.zoneless_times == {}
    assert _started(database_url) == [dt.datetime(2021, 3, 7, 10, 36, 56, tzinfo=dt.UTC)]
    cst = (FIXTURES / "testng-retried-test.xml").read_bytes().replace(b"10:36:56 UTC", b"10:36:56 CST")
    import_results(database_url, "cart", [("cst.xml", cst.replace(b"AddMissing", b"Other"))])
    assert sorted(_started(database_url), key=str) == [dt.datetime(2021, 3, 7, 10, 36, 56, tzinfo=dt.UTC), None]


@pytest.mark.parametrize("streamed", [False, True])
def test_the_summary_names_each_file_one_way(
    cart: GitRepo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], streamed: bool,
) -> None:
    """A report given by a path beyond its name: the summary's ``files`` said ``../reports/a/junit.xml`` (as
    given) and its ``zoneless_times`` ``junit.xml`` (the base name), and two reports of one name in two folders
    (Gradle's modules) shared one key there. Now each file is named as given; the run keeps base names, as
    ``results runs`` lists them."""
    forced = force_streaming(monkeypatch, 1, 2) if streamed else []
    given = []
    for folder in ["a", "b"][: 1 if streamed else 2]:  # (a streamed import is of one report)
        report = cart.path.parent / "reports" / folder / "junit.xml"
        report.parent.mkdir(parents=True)
        report.write_bytes(NAIVE.replace(b"Cart", f"Cart{folder}".encode()))
        given.append(f"../reports/{folder}/junit.xml")
    capsys.readouterr()
    assert main(["results", "import", *given, "--project", "cart", "--output", "json"]) == 0
    out, err = capsys.readouterr()
    summary = json.loads(out)
    assert forced == (["streamed"] if streamed else [])
    assert summary["files"] == given
    assert summary["zoneless_times"] == dict.fromkeys(given, "2026-12-01T09:30:00")
    assert err.splitlines() == [  # on stderr with --output json too (they used to be the text output's only)
        f"warning: {name}: the run's time 2026-12-01T09:30:00 names no time zone and was read as UTC; if the tests "
        "ran in another zone their time is off by its offset: run them with TZ=UTC, or use a runner that writes the "
        "offset (pytest 8.3 and later)" for name in given]
    assert main(["results", "runs", "--project", "cart", "--output", "json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["files"] == ["junit.xml"] * len(given)
