"""A step definition whose pattern cannot be read is one finding quoting its call — on one line, even when the
pattern argument is written over several lines (a finding is one line: the JSON of ``check``, ``sync`` and
``status``, the API's ``files_in_error`` and the watch log carry the message as it is, not escaped as the text
output escapes it). Before, the JavaScript, TypeScript, Go and Ruby readers quoted the argument's source as written,
line ends and indentation included. ``check`` and ``sync`` name the same line, column and message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import GitRepo, run_cli
from tracertm.steps.parsing import parse_step_file

CASES = [
    # (path, source, line, column, the call as the finding quotes it)
    ("features/step_definitions/a.js", "const { Given } = require('@cucumber/cucumber');\nGiven(make(\n  'a',\n"
     "  'b'), function () {});\n", 2, 7, "step definition Given(make( 'a', 'b')) cannot be read"),
    ("features/step_definitions/a.steps.ts",
     "import { When } from '@cucumber/cucumber';\nWhen(\n  pattern\n    .trim(), () => {});\n", 3, 3,
     "step definition When(pattern .trim()) cannot be read"),
    ("features/a_test.go",
     "package a\n\nfunc InitializeScenario(ctx *godog.ScenarioContext) {\n\tctx.\n\t\tStep(prefix +\n"
     "\t\t\t\"x$\", f)\n}\n", 5, 8, "step definition ctx. Step(prefix + \"x$\") cannot be read"),
    ("features/step_definitions/a_steps.rb", "Given(make(\r\n  'a')) do\r\nend\r\n", 1, 7,
     "step definition Given(make( 'a')) cannot be read"),
]


@pytest.mark.parametrize(("path", "source", "line", "column", "says"), CASES, ids=[c[0] for c in CASES])
def test_the_finding_quotes_a_pattern_over_several_lines_on_one(
    path: str, source: str, line: int, column: int, says: str
) -> None:
    (error,) = parse_step_file(path, source.encode()).errors
    assert (error.line, error.column) == (line, column)
    assert error.message.startswith(says), error.message
    assert not {"\n", "\r", "\t"} & set(error.message)


def test_check_and_sync_report_it_alike(git_repo: GitRepo, tmp_path: Path) -> None:
    path, source, line, column, says = CASES[0]
    git_repo.write(".tracertm.toml", 'step_paths = ["features/step_definitions/*.js"]\n')
    git_repo.write("features/a.feature", "Feature: f\n  Scenario: s\n    Given x\n")
    git_repo.write(path, source)
    git_repo.commit()
    url = f"sqlite:///{tmp_path / 'specs.db'}"
    checked = run_cli("check", str(git_repo.path), "--format", "json", "--no-cache")
    synced = run_cli("sync", str(git_repo.path), "--database-url", url, "--format", "json")
    status = run_cli("status", str(git_repo.path), "--database-url", url, "--format", "json")
    assert (checked.returncode, synced.returncode) == (1, 1)

    def errors_of(out: str) -> set[tuple[str, int, int, str]]:
        found: set[tuple[str, int, int, str]] = set()

        def walk(value: object) -> None:
            if isinstance(value, dict):
                if value.get("path") == path and {"line", "column", "message"} <= value.keys():
                    found.add((value["path"], value["line"], value["column"], value["message"]))
                for item in value.values():
                    walk(item)
            elif isinstance(value, list):
                for item in value:
                    walk(item)

        walk(json.loads(out))
        return found

    (finding,) = errors_of(checked.stdout)
    assert finding[1:3] == (line, column) and finding[3].startswith(says)
    assert errors_of(synced.stdout) == errors_of(status.stdout) == {finding}
