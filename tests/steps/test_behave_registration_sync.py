"""behave's registration order, environment.py's step matcher and the definitions behave refuses to load
(``AmbiguousStep``) through ``sync``, as ``tracertm steps`` has them: on a first sync (the parse workers match,
``steps.prematch``), on a later one (sync's own matching, ``steps.links.refresh``) and with a step file that does not
parse (its definitions rebuilt from their rows). Each test failed before its fix."""

from __future__ import annotations

from sqlalchemy import select

from conftest import GitRepo
from test_behave_rules_more import _behave_output
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import Link, StepDefinition
from tracertm.steps.packed import match_rows
from tracertm.steps.project import analyze


def _state(database_url: str) -> tuple[list[tuple[str, str, str | None]], dict[str, int], list[str]]:
    """(step text, status, pattern of the matched definition) per match row; usage count per pattern; the patterns
    step links point at."""
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            defs = {d.id: d for d in session.scalars(select(StepDefinition))}
            rows = sorted((r.step_text, r.status, defs[r.step_definition_id].pattern if r.step_definition_id else None)
                          for r in match_rows(session))
            usage = {d.pattern: d.usage_count for d in defs.values()}
            linked = sorted(defs[link.target_id].pattern for link in session.scalars(
                select(Link).where(Link.link_type == "step")) if link.target_id in defs)
            return rows, usage, linked
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------------------------- registration


def test_swapping_two_definitions_relinks_their_steps(git_repo: GitRepo, database_url: str) -> None:
    """behave runs the first registered definition that matches: swapping two definitions of one file changes
    which one a step runs though neither changed (their content, hence their version, is the same), and sync
    re-links it."""
    digits = "@given('n {x:d}')\ndef digits(context, x): pass\n"
    word = "@given('n {y:w}')\ndef word(context, y): pass\n"
    git_repo.write("features/a.feature", "Feature: A\n  Scenario: one\n    Given n 5\n")
    git_repo.write("features/steps/s.py", "from behave import given\n\n" + digits + "\n" + word)
    git_repo.commit("digits first")
    sync(git_repo.path, database_url=database_url)
    assert _state(database_url)[:2] == ([("n 5", "defined", "n {x:d}")], {"n {x:d}": 1, "n {y:w}": 0})

    git_repo.write("features/steps/s.py", "from behave import given\n\n" + word + "\n" + digits)
    git_repo.commit("word first")
    sync(git_repo.path, database_url=database_url)
    assert _state(database_url) == ([("n 5", "defined", "n {y:w}")], {"n {x:d}": 0, "n {y:w}": 1}, ["n {y:w}"])
    assert [d.location for d in analyze(git_repo.path).unused()] == ["features/steps/s.py:6"]


STACKED = """from behave import given

@given('a {thing}')
@given('a user')
def f(context, thing=None): pass
"""
FEATURE = "Feature: A\n  Scenario: one\n    Given a user\n"


def test_sync_matches_stacked_decorators_in_registration_order(git_repo: GitRepo, database_url: str) -> None:
    """behave registers the bottom decorator first and runs it: the workers (first sync), sync's own matching
    (a feature edit) and the definitions rebuilt from rows (a broken step file) all link ``a user``."""
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write("features/steps/s.py", STACKED)
    git_repo.commit("stacked")
    assert not sync(git_repo.path, database_url=database_url).errors
    assert _state(database_url)[0] == [("a user", "defined", "a user")]

    git_repo.write("features/a.feature", FEATURE + "  Scenario: two\n    Given a user\n")
    git_repo.commit("two")
    sync(git_repo.path, database_url=database_url)
    assert _state(database_url)[0] == [("a user", "defined", "a user")] * 2

    git_repo.write("features/steps/s.py", STACKED + "\ndef broken(:\n")
    git_repo.write("features/a.feature", FEATURE + "  Scenario: three\n    Given a user\n")
    git_repo.commit("broken step file, new scenario")
    result = sync(git_repo.path, database_url=database_url)
    assert [e.path for e in result.errors] == ["features/steps/s.py"]
    rows, usage, linked = _state(database_url)
    assert rows == [("a user", "defined", "a user")] * 2
    assert usage == {"a user": 2, "a {thing}": 0} and linked == ["a user", "a user"]


# ---------------------------------------------------------------------------------------------- environment.py


ENVIRONMENT = "from behave import use_step_matcher\nuse_step_matcher('re')\n"
STEPS = "from behave import then\n\n@then(r'the total is (?P<n>\\d+)')\ndef total(context, n): pass\n"
TOTAL = "Feature: T\n  Scenario: one\n    Then the total is 5\n"


def test_environment_matcher_reaches_the_step_modules_in_sync(git_repo: GitRepo, database_url: str) -> None:
    """The step module is read with environment.py's ``re``; an edit of environment.py alone re-reads it (its
    bytes did not change), in a full sync and in a sync of just environment.py (the watcher's)."""
    git_repo.write("features/t.feature", TOTAL)
    git_repo.write("features/environment.py", ENVIRONMENT)
    git_repo.write("features/steps/t.py", STEPS)
    git_repo.commit("re")
    sync(git_repo.path, database_url=database_url)
    assert _state(database_url)[0] == [("the total is 5", "defined", r"^the total is (?P<n>\d+)$")]

    git_repo.write("features/environment.py", "import behave\n")  # behave's default matcher: parse
    git_repo.commit("parse")
    result = sync(git_repo.path, database_url=database_url)
    assert result.counts["step_definition"]["updated"] == 1, result.counts
    assert _state(database_url)[0] == [("the total is 5", "undefined", None)]

    git_repo.write("features/environment.py", ENVIRONMENT)
    result = sync(git_repo.path, database_url=database_url, paths=["features/environment.py"])
    assert result.counts["step_definition"]["updated"] == 1, result.counts
    assert _state(database_url)[0] == [("the total is 5", "defined", r"^the total is (?P<n>\d+)$")]

    git_repo.write("features/steps/t.py", STEPS + "\n@then(r'nothing')\ndef nothing(context): pass\n")
    result = sync(git_repo.path, database_url=database_url, paths=["features/steps/t.py"])  # environment.py read
    assert result.counts["step_definition"]["created"] == 1, result.counts
    assert _state(database_url)[0] == [("the total is 5", "defined", r"^the total is (?P<n>\d+)$")]


# ------------------------------------------------------------------------------------------- AmbiguousStep


REFUSED = """from behave import then, use_step_matcher
use_step_matcher('re0')

@then(r'^the total is \\(.*$')
def paren(context): pass

use_step_matcher('re')

@then(r'the total is (\\d+)')
def total(context, n): pass
"""


def test_sync_leaves_out_a_definition_behave_refuses_to_load(git_repo: GitRepo, database_url: str) -> None:
    """``paren`` matches ``total``'s text as written (``the total is (\\d+)``), so behave refuses ``total``; only
    ``total`` would match the step. The report and the sync both leave it out (no match row, no step link), on a
    first sync and a later one; once ``paren`` goes, ``total`` matches again though its own row did not change."""
    git_repo.write("features/t.feature", TOTAL)
    git_repo.write("features/steps/t.py", REFUSED)
    git_repo.commit("refused")
    try:
        import behave  # noqa: F401
    except ImportError:
        pass
    else:
        assert "AmbiguousStep: @then('^the total is (\\d+)$') has already been defined in" in _behave_output(
            git_repo.path)
    report = analyze(git_repo.path)
    assert [(e.path, e.line) for e in report.errors] == [("features/steps/t.py", 9)]
    assert [r.status for r in report.results] == ["undefined"]

    sync(git_repo.path, database_url=database_url)  # the parse workers match
    assert _state(database_url) == ([("the total is 5", "undefined", None)],
                                    {r"^the total is \(.*$": 0, r"^the total is (\d+)$": 0}, [])

    git_repo.write("features/t.feature", TOTAL + "  Scenario: two\n    Then the total is 6\n")
    git_repo.commit("two")
    sync(git_repo.path, database_url=database_url)  # sync's own matching
    rows, usage, linked = _state(database_url)
    assert rows == [("the total is 5", "undefined", None), ("the total is 6", "undefined", None)]
    assert linked == [] and set(usage.values()) == {0}

    git_repo.write("features/steps/t.py", "from behave import then, use_step_matcher\nuse_step_matcher('re')\n\n"
                                          "@then(r'the total is (\\d+)')\ndef total(context, n): pass\n")
    git_repo.commit("no paren")
    result = sync(git_repo.path, database_url=database_url)
    assert result.counts["step_definition"]["deleted"] == 1 and result.counts["step_definition"]["updated"] == 0
    rows, usage, linked = _state(database_url)
    assert rows == [("the total is 5", "defined", r"^the total is (\d+)$"),
                    ("the total is 6", "defined", r"^the total is (\d+)$")]
    assert usage == {r"^the total is (\d+)$": 2} and linked == [r"^the total is (\d+)$"] * 2


def test_refused_definitions_are_left_out_of_the_workers_matcher() -> None:
    """``prematch.matcher`` leaves out what ``links.refresh`` leaves out (the same digest for the same files)."""
    from tracertm.steps.prematch import matcher
    from tracertm.steps.records import parse

    outcome = parse("features/steps/t.py", REFUSED.encode())
    found = matcher({"features/steps/t.py": outcome}, "spawn")
    assert found is not None
    assert [d.function for d in found.definitions] == ["paren"]


def test_check_staged_reads_the_step_modules_with_environment_matcher(git_repo: GitRepo) -> None:
    """``check --staged``: a staged environment.py that changes the step modules' matcher leaves the step of an
    unchanged feature undefined — what the commit causes (before it, HEAD's environment.py read them)."""
    from tracertm.checker import check

    git_repo.write("features/t.feature", TOTAL)
    git_repo.write("features/environment.py", ENVIRONMENT)
    git_repo.write("features/steps/t.py", STEPS)
    git_repo.commit("re")
    assert not [w for w in check(git_repo.path).warnings if "the total is 5" in w.message]
    git_repo.write("features/environment.py", "import behave\n")
    git_repo.git("add", "-A")
    staged = check(git_repo.path, staged=True)
    # The step module's definition, read with the default matcher now, matches nothing: unused, as the whole check
    # (and behave) says — the commit's doing though the module's bytes did not change.
    assert [(w.path, w.line, w.message.split(" ")[0]) for w in staged.warnings] == [
        ("features/steps/t.py", 3, "unused"), ("features/t.feature", 3, "undefined")]
    assert staged.warnings == check(git_repo.path).warnings


def test_stacked_decorators_are_stored_at_behaves_line_an_older_sync_too(
    git_repo: GitRepo, database_url: str
) -> None:
    """A behave definition is stored at its function's first decorator's line, as behave locates it; a database an
    older tracertm synced (each stacked decorator at its own line, the same content) gets it at the next sync."""
    from raw_sql import set_marker, sql

    from tracertm.engine.parsed_by import PARSER_OUTPUT, PARSER_OUTPUT_KEY

    git_repo.write("features/a.feature", "Feature: A\n  Scenario: one\n    When I do x\n")
    git_repo.write("features/steps/a.py", "from behave import step, when\n\n\n@step('I do {what}')\n"
                                          "@when('I do x')\ndef a2(context, what=None): pass\n")
    git_repo.commit("stacked")
    lines = "SELECT pattern, line FROM step_definitions ORDER BY pattern"
    assert not sync(git_repo.path, database_url=database_url).errors
    assert sql(database_url, lines) == [("I do x", 4), ("I do {what}", 4)]
    sql(database_url, "UPDATE step_definitions SET line = 5 WHERE pattern = 'I do x'")  # as tracertm stored it
    set_marker(database_url, PARSER_OUTPUT_KEY, PARSER_OUTPUT - 1)
    assert not sync(git_repo.path, database_url=database_url).errors
    assert sql(database_url, lines) == [("I do x", 4), ("I do {what}", 4)]
