"""A regex definition whose groups are nested a few hundred deep: Python's ``re`` compiles it (behave loads the step
module), but the ``regex`` package tracertm matches under a time bound recurses per group and raised RecursionError
out of ``tracertm steps``, ``check`` (an eager compile) and ``sync`` (a lazy one, at its first match). It is a
warning at the definition (tracertm's limit, not the project's error), and the rest of the project still counts."""

from __future__ import annotations

from conftest import GitRepo
from tracertm import db
from tracertm.checker import check
from tracertm.engine.sync import sync
from tracertm.steps.packed import match_rows
from tracertm.steps.project import analyze

# ``(.*)`` can backtrack (``steps.linear``): the pattern needs the bounded engine, which refuses it.
DEEP = "(?:" * 400 + "r(.*)n" + ")" * 400
PATH = "features/steps/rain.py"


def _project(repo: GitRepo) -> None:
    repo.write("features/rain.feature", "Feature: Rain\n  Scenario: s\n    Given it rains\n    When it snows\n")
    repo.write(PATH, "from behave import given, when, use_step_matcher\nuse_step_matcher('re')\n"
                     f"@given(r'it {DEEP}s')\ndef rains(context):\n    pass\n"
                     "@when(r'it snows')\ndef snows(context):\n    pass\n")
    repo.commit("deep groups")


def test_a_regex_nested_too_deeply_for_tracertm_is_a_warning_at_its_definition(git_repo: GitRepo) -> None:
    _project(git_repo)
    report = analyze(git_repo.path)  # was: RecursionError
    assert not report.errors
    assert [(w.path, w.line, "nested too deeply" in w.message) for w in report.warnings] == [(PATH, 3, True)]
    assert [r.status for r in report.results] == ["undefined", "defined"]
    assert check(git_repo.path).ok


def test_sync_matches_the_rest_when_a_regex_is_nested_too_deeply(git_repo: GitRepo, database_url: str) -> None:
    _project(git_repo)
    result = sync(git_repo.path, database_url=database_url)  # was: RecursionError at the first match
    assert not result.errors and result.counts["step_definition"]["created"] == 2
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            rows = sorted((m.step_text, m.status) for m in match_rows(session))
        assert rows == [("it rains", "undefined"), ("it snows", "defined")]
    finally:
        engine.dispose()


def test_a_deeply_nested_regex_that_cannot_backtrack_is_matched_by_re(git_repo: GitRepo) -> None:
    """Without anything to backtrack over, the pattern runs on ``re`` (``steps.linear``), which takes the nesting:
    the step is matched, as behave matches it."""
    git_repo.write("features/rain.feature", "Feature: Rain\n  Scenario: s\n    Given it rains\n")
    git_repo.write(PATH, "from behave import given, use_step_matcher\nuse_step_matcher('re')\n"
                         f"@given(r'it {'(?:' * 400}rain{')' * 400}s')\ndef rains(context):\n    pass\n")
    git_repo.commit("deep groups, nothing to backtrack")
    report = analyze(git_repo.path)
    assert not report.errors and not report.warnings
    assert [r.status for r in report.results] == ["defined"]
