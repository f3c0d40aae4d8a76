"""behave's ``use_default_step_matcher(name)`` in a step module changes the default matcher of the step modules of
its folder loaded after it (``test_behave_default_matcher_across_modules``): ``sync`` stores the definitions
``tracertm steps`` reports (pattern kinds, matches, step links) on a first sync and on a later one where only the
module that sets the default changes, and ``check --staged`` reports what such a commit makes undefined in the
unchanged later modules' steps. Each test failed before its fix."""

from __future__ import annotations

from sqlalchemy import select

from conftest import GitRepo
from tracertm import db
from tracertm.checker import check, staged_settings
from tracertm.engine.scan import Location
from tracertm.engine.sync import sync
from tracertm.models import Link, StepDefinition
from tracertm.steps.packed import match_rows
from tracertm.steps.project import analyze

FEATURE = "Feature: F\n  Scenario: s\n    Given a number 5\n    When text hello\n"
STEPS = ("from behave import given, when\n\n@given(r'a number (?P<n>\\d+)')\ndef num(ctx, n):\n    pass\n\n"
         "@when('text {word}')\ndef txt(ctx, word):\n    pass\n")
SETS_RE = "from behave import use_default_step_matcher\nuse_default_step_matcher('re')\n"
SETS_NOTHING = "# sets no default any more\n"

Verdicts = tuple[list[tuple[str, str, str | None]], list[tuple[str, str]], list[str]]


def _stored(database_url: str) -> Verdicts:
    """(step text, status, pattern of the matched definition) per stored match; (pattern, kind) per live
    definition; the patterns the step links point at."""
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            defs = {d.id: d for d in session.scalars(select(StepDefinition)) if d.deleted_at is None}
            rows = sorted((r.step_text, r.status,
                           defs[r.step_definition_id].pattern if r.step_definition_id else None)
                          for r in match_rows(session))
            kinds = sorted((d.pattern, d.pattern_kind) for d in defs.values())
            linked = sorted(defs[link.target_id].pattern for link in session.scalars(
                select(Link).where(Link.link_type == "step")) if link.target_id in defs)
            return rows, kinds, linked
    finally:
        engine.dispose()


def _reported(path: str) -> Verdicts:
    """The same, as ``tracertm steps`` reports it (no database)."""
    report = analyze(path)
    assert report.errors == []
    rows = sorted((r.use.text, r.status, r.definition.pattern if r.definition else None) for r in report.results)
    kinds = sorted((d.pattern, str(d.kind)) for d in report.definitions)
    linked = sorted(r.definition.pattern for r in report.results if r.definition)
    return rows, kinds, linked


def test_sync_stores_what_steps_reports_first_and_after_editing_the_setter(
    git_repo: GitRepo, database_url: str
) -> None:
    """A first sync (step files parsed first, features matched in the workers), then a commit that changes only
    the module setting the default: the later module, unchanged, is read again with the new default."""
    setter_path = "features/steps/a_setup.py"
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write("features/steps/b_steps.py", STEPS)
    git_repo.write(setter_path, SETS_RE)
    git_repo.commit("behave")
    assert not sync(git_repo.path, database_url=database_url).errors
    stored = _stored(database_url)
    assert stored == _reported(str(git_repo.path))
    # 're' for the later module: its 'text {word}' is a regex that does not match 'text hello' literally
    assert ("a number 5", "defined", r"^a number (?P<n>\d+)$") in stored[0]
    assert ("text hello", "undefined", None) in stored[0]

    git_repo.write(setter_path, SETS_NOTHING)
    git_repo.commit("the setter sets nothing")
    assert not sync(git_repo.path, database_url=database_url).errors
    stored = _stored(database_url)
    assert stored == _reported(str(git_repo.path))
    assert ("text hello", "defined", "text {word}") in stored[0]
    assert ("a number 5", "undefined", None) in stored[0]

    git_repo.write(setter_path, SETS_RE)
    git_repo.commit("sets 're' again")
    assert not sync(git_repo.path, database_url=database_url).errors
    assert _stored(database_url) == _reported(str(git_repo.path))

    git_repo.remove(setter_path)
    git_repo.commit("the setter goes")
    assert not sync(git_repo.path, database_url=database_url).errors
    assert _stored(database_url) == _reported(str(git_repo.path))
    assert ("text hello", "defined", "text {word}") in _stored(database_url)[0]


def test_sync_of_a_later_module_only_uses_the_earlier_modules_default(git_repo: GitRepo, database_url: str) -> None:
    """A commit that changes only a module after the setter: it is parsed alone (in a worker) with the default
    the unchanged setter leaves."""
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write("features/steps/a_setup.py", SETS_RE)
    git_repo.write("features/steps/b_steps.py", STEPS)
    git_repo.commit("behave")
    assert not sync(git_repo.path, database_url=database_url).errors
    git_repo.write("features/steps/b_steps.py", STEPS + "\n# edited\n@when('other {word}')\ndef other(ctx, word):\n"
                   "    pass\n")
    git_repo.commit("later module edited")
    assert not sync(git_repo.path, database_url=database_url).errors
    stored = _stored(database_url)
    assert stored == _reported(str(git_repo.path))
    assert ("^other {word}$", "regex") in stored[1]


def _staged_warnings(git_repo: GitRepo) -> list[str]:
    return sorted(w.message for w in check(git_repo.path, staged=True).warnings if "undefined step" in w.message)


def test_check_staged_reports_steps_a_new_default_makes_undefined(git_repo: GitRepo) -> None:
    """The commit adds (then removes) only the setter: the steps of the unchanged feature that the unchanged later
    module no longer (or again) matches are the commit's doing."""
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write("features/steps/b_steps.py", STEPS)
    git_repo.commit("behave")
    git_repo.write("features/steps/a_setup.py", SETS_RE)
    git_repo.git("add", "features/steps/a_setup.py")
    assert _staged_warnings(git_repo) == [
        "undefined step 'When text hello': no step definition matches it; write one or fix the step text"]
    git_repo.commit("sets 're'")
    git_repo.remove("features/steps/a_setup.py")
    git_repo.git("add", "-A")
    assert _staged_warnings(git_repo) == [
        "undefined step 'Given a number 5': no step definition matches it; write one or fix the step text"]


def test_staged_settings_is_public(git_repo: GitRepo) -> None:
    """``checker.staged_settings`` (was ``_staged_settings``): the index's configuration."""
    git_repo.write(".tracertm.toml", 'feature_paths = ["specs/**/*.feature"]\n')
    git_repo.git("add", ".tracertm.toml")
    git_repo.write(".tracertm.toml", 'feature_paths = ["other/**/*.feature"]\n')
    assert staged_settings(Location.find(git_repo.path)).paths["feature"] == ("specs/**/*.feature",)
