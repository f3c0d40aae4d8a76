"""A step file's parse costs memory per token, not per byte: within ``max_file_size`` (4 MiB) a minified bundle took
0.3 GB of ``tracertm steps``' memory, generated code 0.3-0.5 GB, and hostile code 1.0-1.4 GB — ``a=1+1+…+1`` in
JavaScript (tree-sitter's tree: up to 290 bytes a token), a line of ``f(1)`` per statement in Python (``ast``: about
1.8 KB a statement). A step file of more than ``size_limit.MAX_STEP_FILE_TOKENS`` tokens is now one error at the
line where it passes the limit, found by a scan before the parser builds anything, and the database keeps its rows;
at the limit the worst file costs about 240 MB at the peak (the process included)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from conftest import GitRepo, run_cli
from tracertm import db
from tracertm.errors import ParseError
from tracertm.models.specification import StepDefinition
from tracertm.parsers import parse
from tracertm.steps.size_limit import MAX_STEP_FILE_TOKENS, TooManyTokens, check_tokens

LIMIT = MAX_STEP_FILE_TOKENS
SRC = str(Path(__file__).resolve().parents[2] / "src")

# path → (its head, which defines the step 'a', in few tokens; its tail). Between them, ``_filler`` puts a
# ``1+1+…+1`` expression (a statement per line, ``a``, in Python), so the file holds exactly the tokens asked.
HEADS: dict[str, tuple[str, str, str]] = {
    "features/step_definitions/a.js": ("JavaScript", "const { Given } = require('@cucumber/cucumber');\n"
                                                     "Given('a', function () {});\nvar x = ", ";\n"),
    "features/step_definitions/a.ts": ("TypeScript", "import { Given } from '@cucumber/cucumber';\n"
                                                     "Given('a', () => {});\nconst x = ", ";\n"),
    "src/test/java/A.java": ("Java", "import io.cucumber.java.en.*;\nclass A {\n  @Given(\"a\")\n"
                                     "  public void a() {}\n  int x = ", ";\n}\n"),
    "src/test/kotlin/A.kt": ("Kotlin", "import io.cucumber.java.en.*\nclass A {\n  @Given(\"a\")\n  fun a() {}\n"
                                       "  val x = ", "\n}\n"),
    "steps/a_test.go": ("Go", "package steps\nimport \"github.com/cucumber/godog\"\n"
                              "func Init(ctx *godog.ScenarioContext) {\n\tctx.Step(`^a$`, a)\n\tx := ", "\n}\n"),
    "features/step_definitions/a.rb": ("Ruby", "Given('a') do\nend\nx = ", "\n"),
    "Steps/ASteps.cs": ("C#", "using Reqnroll;\n[Binding]\npublic class ASteps {\n  [Given(\"a\")]\n"
                              "  public void A() {}\n  int x = ", ";\n}\n"),
    "features/steps/a.py": ("Python", "from behave import given\n\n\n@given('a')\ndef a(context):\n    pass\n\n\n",
                            ""),
}


def _tokens(text: str, python: bool) -> int:
    import re

    return len(re.findall(r"[\w$\x80-\U0010ffff]+|[^\w$\x80-\U0010ffff\s]" + (r"|\n" if python else ""), text,
                          re.ASCII))


def _file(path: str, tokens: int, tail: bool = True) -> str:
    """The step file ``path`` (``HEADS``) holding exactly ``tokens`` tokens as the limit counts them; without its
    tail, the last one is on the line of the filler (in Python, the last line end)."""
    language, head, end = HEADS[path]
    python = language == "Python"
    left = tokens - _tokens(head + (end if tail else ""), python)
    if python:  # a statement of one name per line: a token and its line end
        return head + "a\n" * (left // 2) + "\n" * (left % 2)
    return head + "-" * (1 - left % 2) + "1+" * ((left - 1) // 2) + "1" + (end if tail else "")


def _patterns(path: str, text: str) -> list[str]:
    return [r.fields["pattern"] for r in parse("step_definition", path, text.encode()).records]


@pytest.mark.parametrize("path", list(HEADS))
def test_a_step_file_one_token_over_the_limit_is_one_error_at_its_line(path: str) -> None:
    language, head, _ = HEADS[path]
    over = _file(path, LIMIT + 1, tail=False)
    with pytest.raises(ParseError) as caught:  # was: read whole (its tree, about 40-70 MB here; 1.2 GB at 4 MB)
        parse("step_definition", path, over.encode())
    error = caught.value
    assert len(error.diagnostics) == 1
    # the token past the limit is the file's last: on the filler's line, the head's last (Python's: its last line)
    expected_line = over.count("\n") if language == "Python" else head.count("\n") + 1
    assert (error.path, error.line) == (path, expected_line)
    assert error.message.startswith(f"{language} step file holds more than {LIMIT} tokens (")
    assert error.message.endswith("step definitions not read — split it, or keep generated or minified code out "
                                  "of step_paths")
    assert "\n" not in error.message


def test_a_step_file_at_the_limit_is_read() -> None:
    path = "features/step_definitions/a.js"
    assert _patterns(path, _file(path, LIMIT)) == ["a"]


def test_the_count_stops_at_the_limit_and_names_the_token_past_it() -> None:
    check_tokens(b"x " * LIMIT)  # exactly the limit: fine
    check_tokens("x\n" * (LIMIT // 2))  # Python's text: a line end is a token too
    with pytest.raises(TooManyTokens) as caught:
        check_tokens("x\n" * (LIMIT // 2) + "é")
    assert (caught.value.line, caught.value.column) == (LIMIT // 2 + 1, 1)
    # a character that is not ASCII is a word character, as its UTF-8 bytes: 'éé x' is two tokens, the column
    # counts characters
    with pytest.raises(TooManyTokens) as caught:
        check_tokens(b"a\n" + "éé ".encode() * (LIMIT - 1) + "é+".encode())
    assert (caught.value.line, caught.value.column) == (2, 3 * (LIMIT - 1) + 1)
    check_tokens(b"a" * (4 * LIMIT))  # one long word (a string, a minified name): one token
    check_tokens(b" \n\t" * LIMIT)  # blanks are none (but Python's line ends)


def test_a_go_test_file_without_godog_is_not_counted() -> None:
    """Every ``*_test.go`` is under the default step_paths; one that names no godog is never parsed (so never too
    large)."""
    data = "package x\nvar x = " + "1+" * LIMIT + "1\n"
    assert parse("step_definition", "pkg/big_test.go", data.encode()).records == ()


def test_sync_names_the_file_and_keeps_its_rows(git_repo: GitRepo, database_url: str) -> None:
    path = "features/step_definitions/a.js"
    git_repo.write("features/a.feature", "Feature: f\n  Scenario: s\n    Given a\n")
    git_repo.write(path, _file(path, 1_001))
    git_repo.commit("a step file")
    assert run_cli("sync", str(git_repo.path), "--database-url", database_url).returncode == 0

    def rows() -> list[tuple[str | None, str, int | None]]:
        engine = db.make_engine(database_url)
        try:
            with db.session(engine) as session:
                return [(r.step_number, r.pattern, r.line) for r in session.scalars(
                    select(StepDefinition).where(StepDefinition.deleted_at.is_(None)))]
        finally:
            engine.dispose()

    before = rows()
    assert [pattern for _, pattern, _ in before] == ["a"]
    git_repo.write(path, _file(path, LIMIT + 1, tail=False).replace("Given('a'", "Given('b'"))
    git_repo.commit("the step file grows past the limit")
    result = run_cli("sync", str(git_repo.path), "--database-url", database_url)
    assert result.returncode == 1, result.stderr
    lines = [line for line in result.stderr.splitlines() if path in line]
    assert len(lines) == 1 and lines[0].startswith(f"{path}:3:"), result.stderr
    assert f"more than {LIMIT} tokens" in lines[0]
    assert rows() == before  # not the 'b' the file now defines, nor none


# ``tracertm steps`` in a process of its own, started by a small one that prints the peak RSS (ru_maxrss) of its
# children: a child keeps its parent's ru_maxrss across fork and exec, and pytest's own is larger than the bound.
_PEAK = """
import resource, subprocess, sys
done = subprocess.run([sys.executable, "-m", "tracertm", "steps"], cwd=sys.argv[1], capture_output=True, text=True)
sys.stderr.write(done.stderr)
print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)
"""


def _peak(repo: Path) -> tuple[int, int, str]:
    env = {**os.environ, "PYTHONPATH": SRC}
    done = subprocess.run([sys.executable, "-c", _PEAK, str(repo)], capture_output=True, text=True, env=env,
                          timeout=300, check=True)
    code, peak = done.stdout.split()
    return int(code), int(peak), done.stderr


def test_the_peak_memory_of_steps_on_a_hostile_file_stays_near_an_empty_project(git_repo: GitRepo) -> None:
    """1 MB of ``1+1+…+1`` (a million tokens) under a step path: the process was 270 MB above the same project
    without it (4 MB of it: 1.2 GB in all); now the file is refused from a scan of its first tokens."""
    path = "features/step_definitions/a.js"
    git_repo.write("features/a.feature", "Feature: f\n  Scenario: s\n    Given a\n")
    git_repo.write(path, _file(path, 1_001))
    git_repo.commit("a small step file")
    code, small, _ = _peak(git_repo.path)
    assert code == 0
    git_repo.write(path, _file(path, 1_000_001, tail=False))
    git_repo.commit("a hostile one")
    code, hostile, stderr = _peak(git_repo.path)
    assert code == 1 and f"{path}:3:" in stderr, stderr
    assert hostile < small + 60 * 2**20, (hostile, small)  # now a few MB more (its text); was 270 MB more


def test_behave_environment_and_library_imports_are_not_parsed_past_the_limit() -> None:
    """behave's environment.py is parsed for its step matcher, and a module a step module imports for its own
    imports, each with ``ast`` apart from the step files' parse: past the limit neither is read (the file's own
    parse is the error), so neither builds the tree the limit spares."""
    from tracertm.steps import libraries
    from tracertm.steps.python import DEFAULT_MATCHER, environment_matcher

    filler = "x = [" + "1," * (LIMIT // 2) + "]\n"  # one statement: about 50 MB of ``ast`` before
    assert environment_matcher("from behave import use_step_matcher\nuse_step_matcher('re')\n") == "re"
    assert environment_matcher("from behave import use_step_matcher\nuse_step_matcher('re')\n" + filler) \
        == DEFAULT_MATCHER  # was: 're', read from the whole tree
    assert libraries._imports("lib/small.py", b"import steplib\n", ("",)) != []
    assert libraries._imports("lib/big.py", b"import steplib\n" + filler.encode(), ("",)) == []  # was: read
