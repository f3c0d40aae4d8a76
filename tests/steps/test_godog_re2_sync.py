"""A godog regex Go's RE2 cannot compile (godog's ``regexp.MustCompile`` panics when it registers the step) is the
same error in ``sync`` as in ``check`` and ``tracertm steps``: sync stored the definition and matched nothing to it,
silently, as it would a Python regex that does not compile were that not an error of its file."""

from __future__ import annotations

import pytest

from conftest import GitRepo
from tracertm import db
from tracertm.checker import check
from tracertm.engine.sync import sync
from tracertm.models import StepDefinition
from tracertm.steps.project import analyze

FEATURE = "Feature: AB\n  Scenario: s\n    Given a b\n    When x x\n"
PATH = "steps_test.go"
GOOD = ("package steps\n"
        "func InitializeScenario(ctx *godog.ScenarioContext) {\n"
        "  ctx.Step(`^a b$`, ab)\n"
        "  ctx.Step(`^(x) x$`, xx)\n"
        "}\n")


@pytest.mark.parametrize("pattern, lacks", [
    ("^a(?= b)", "lookarounds"), ("^(x) \\1$", "back-references"), ("^(?>x) x$", "atomic groups"),
    ("^x++ x$", "possessive quantifiers"), ("^(x)?(?(1)x| x)$", "conditional groups"),
])
def test_sync_reports_a_regex_re2_refuses_as_check_does(
    git_repo: GitRepo, database_url: str, pattern: str, lacks: str
) -> None:
    git_repo.write("features/ab.feature", FEATURE)
    git_repo.write(PATH, GOOD)
    git_repo.commit("steps Go compiles")
    engine = db.make_engine(database_url)
    try:
        first = sync(git_repo.path, engine=engine)
        assert not first.errors
        with db.session(engine) as session:
            before = sorted(d.pattern for d in session.query(StepDefinition).all())
        assert before == ["^(x) x$", "^a b$"]
        git_repo.write(PATH, GOOD.replace("`^a b$`, ab)", f"`^a b$`, ab)\n  ctx.Step(`{pattern}`, refused)"))
        git_repo.commit("a regex RE2 refuses")
        checked = check(git_repo.path)
        assert [(e.path, e.line) for e in checked.errors] == [(PATH, 4)]
        assert f"RE2 has no {lacks}" in checked.errors[0].message
        assert [(e.path, e.line) for e in analyze(git_repo.path).errors] == [(PATH, 4)]
        result = sync(git_repo.path, engine=engine)  # was: no error, the definition stored, matching nothing
        assert result.errors == checked.errors  # same path, line, column, message and severity
        with db.session(engine) as session:  # the file's rows stay as they were, as for a Python regex
            assert sorted(d.pattern for d in session.query(StepDefinition).all()) == before
    finally:
        engine.dispose()
