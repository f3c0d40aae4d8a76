"""The same repository reads alike from SQLite and from a PostgreSQL database whose collation is not code point
order (ICU's en-US: ``eclair`` before ``ECLAIR`` and ``Éclair``, ``_x`` before ``alpha``). Lists had been made so
(``models.types.code_points``); the other orders by text followed the database's collation: a step's uses, a record's links, the
dangling and suspect links of ``status`` and of a sync's warnings, the links ``review`` marks, the files in error,
the test cases of ``results unmatched``, ``coverage``'s features, the slugged ADRs an ambiguous id names, the
known projects, the tokens created together; and a sync's dangling-link warnings had no total order. Found by a
differential run of the CLI and API reads over SQLite, a C.UTF-8 and an ICU database. The numbers ``STEP-n`` of
definitions synced together keep the database's order (``steps.queries.ranked``: a number never moves), so the
definitions are read here by identity."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from conftest import GitRepo, run_cli
from tracertm import db

NAMES = ["eclair", "Éclair", "Zeta", "alpha", "_x", "ECLAIR"]

# What differs between two syncs whatever the order: row ids, commits, times.
_VOLATILE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\b[0-9a-f]{8,64}\b"
                       r"|\d{4}-\d\d-\d\d[T ][\d:.]+(\+00:00|Z)?")


def _adr(n: int, name: str, body: str = "d") -> str:
    return (f"# {n}. {name}\n\nDate: 2024-01-01\n\n## Status\n\nAccepted\n\n## Context\n\nSee ADR-0099.\n\n"
            f"## Decision\n\n{body}\n\n## Consequences\n\nc\n")


def _repository(repo: GitRepo) -> None:
    """Records, files and definitions named alike but for case, accents and punctuation (the features' ids are
    their names): each feature implements ADR-0001, ADR-0002 and ADR-0099 (none), uses its own step and one step
    every step file defines."""
    for n, name in enumerate(NAMES, start=1):
        repo.write(f"docs/adr/{n:04d}-{name}.md", _adr(n, name))
        # A plain ADR-0008 is ambiguous among the slugged ids (those the ADR parser takes as ids).
        repo.write(f"docs/adr/0008-{name}.md",
                   f"---\nid: ADR-0008-{name}\nstatus: accepted\n---\n\n# {name}\n\nAfter ADR-0002.\n")
        repo.write(f"features/{name}.feature",
                   f"@ADR-0001 @ADR-0002 @ADR-0099\nFeature: {name}\n\n  @SC-1\n  Scenario: {name} one\n"
                   f"    Given step {name}\n    When shared\n")
        repo.write(f"features/step_definitions/{name}.js",
                   "const { Given, When } = require('@cucumber/cucumber');\n"
                   f"Given('step {name}', function {name}() {{}});\nWhen('shared', function shared_{n}() {{}});\n")
        repo.write(f"features/broken/{name}.feature",
                   "Feature: broken\n  Scenario: a\n    Given x\n  Nonsense here\n")
    repo.commit("names alike")


def _junit(path: Path) -> Path:
    """Per name, a test case ``eclair one`` (matched to that scenario in the class ``eclair`` only) and one of no
    scenario: most are unmatched."""
    cases = "".join(f'<testcase classname="{name}" name="eclair one"/><testcase classname="{name}" '
                    f'name="nothing {name}"><failure message="no"/></testcase>' for name in NAMES)
    path.write_text(f'<testsuite name="s">{cases}</testsuite>')
    return path


def _plain(value: Any) -> Any:
    """``value`` with its row ids and times replaced (a JSON document parsed: key order is no list order)."""
    if isinstance(value, str):
        try:
            return _plain(json.loads(value)) if value.lstrip()[:1] in ("{", "[") else _VOLATILE.sub("~", value)
        except ValueError:
            return _VOLATILE.sub("~", value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k not in ("next_cursor", "project_id")}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


READS = [
    ["status"], ["status", "--format", "json"],
    ["list", "step-definitions", "--format", "json"], ["list", "features", "--format", "json"],
    *[[verb, f"features/step_definitions/{name}.js::{function}", "--format", "json"]
      for name, function in (("ECLAIR", "ECLAIR"), ("_x", "shared_5"), ("Éclair", "Éclair")) for verb in ("show", "trace")],
    ["show", "ADR-0002", "--format", "json"], ["show", "eclair/SC-1", "--format", "json"],
    ["show", "ADR-0008"], ["results", "unmatched"], ["coverage", "--format", "json"],
    ["review", "ADR-0002", "--by", "me", "--format", "json"],
]


def _outputs(repo: GitRepo, url: str, report: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What the reads answer of ``repo`` synced into ``url``, its results imported, then ADR-0001 deleted and
    ADR-0002 changed by a second commit (its links dangling and suspect); and what ``status`` says outside it once
    more projects are synced."""
    monkeypatch.setenv("TRACERTM_DATABASE_URL", url)
    monkeypatch.chdir(repo.path)
    out: dict[str, Any] = {}
    for step in ("first", "second"):
        sync = run_cli("sync")
        out[f"sync {step}"] = (sync.returncode, _plain(sync.stdout), _plain(sync.stderr))
        if step == "first":
            assert run_cli("results", "import", str(report)).returncode == 0
            out["status before"] = _plain(run_cli("status", "--format", "json").stdout)
            repo.git("rm", "-q", f"docs/adr/0001-{NAMES[0]}.md")
            repo.write(f"docs/adr/0002-{NAMES[1]}.md", _adr(2, NAMES[1], "We will do it otherwise."))
            repo.commit("ADR-0001 gone, ADR-0002 changed")
    for argv in [["sync", "--full"], *READS]:
        done = run_cli(*argv)
        out[" ".join(argv)] = (done.returncode, _plain(done.stdout), _plain(done.stderr))
    for name in ("_x", "Zeta", "alpha"):  # more projects: a folder of none names them
        run_cli("sync", "--project", name)
    monkeypatch.chdir(repo.path.parent)
    out["status elsewhere"] = _plain(run_cli("status").stderr)
    with db.session(db.make_engine(url)) as session:
        _two_tokens(session)
    out["token list"] = _plain(run_cli("token", "list", "--format", "json").stdout)
    return out


def _two_tokens(session: Any) -> None:
    """Two tokens created at one time (one transaction's on PostgreSQL), listed by their prefix then."""
    from tracertm.models import ApiToken

    when = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    for prefix in ("trtm_zeta", "trtm_Zeta", "trtm__x"):
        session.add(ApiToken(id=uuid.uuid4(), token_hash=prefix * 4, prefix=prefix, scope="read", created_at=when))
    session.commit()


def test_a_repository_reads_alike_from_sqlite_and_a_database_of_another_collation(
        git_repo: GitRepo, tmp_path: Path, icu_database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _repository(git_repo)
    report = _junit(tmp_path / "junit.xml")
    sqlite = _outputs(git_repo, f"sqlite:///{tmp_path / 'tracertm.db'}", report, monkeypatch)
    git_repo.git("reset", "-q", "--hard", "HEAD~1")
    icu = _outputs(git_repo, icu_database_url, report, monkeypatch)
    # The numbers handed out follow the database's order of the identities (file::function): they never move.
    numbers = {db: {d["number"]: d["short_id"] for d in out["list step-definitions --format json"][1]}
               for db, out in (("sqlite", sqlite), ("icu", icu))}
    assert numbers["sqlite"]["features/step_definitions/ECLAIR.js::ECLAIR"] == "STEP-1"
    assert numbers["icu"]["features/step_definitions/_x.js::_x"] == "STEP-1"
    for read in sqlite:
        if read != "list step-definitions --format json":
            assert _numberless(icu[read]) == _numberless(sqlite[read]), read
    assert [{k: v for k, v in d.items() if k != "short_id"} for d in icu["list step-definitions --format json"][1]] \
        == [{k: v for k, v in d.items() if k != "short_id"} for d in sqlite["list step-definitions --format json"][1]]


def _numberless(value: Any) -> Any:
    """``value`` with the short ids ``STEP-n`` blanked (they follow the database's order: ``ranked``)."""
    if isinstance(value, str):
        return re.sub(r"STEP-\d+", "STEP-~", value)
    if isinstance(value, dict):
        return {k: _numberless(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_numberless(v) for v in value]
    return value
