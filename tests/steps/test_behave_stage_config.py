"""behave's configuration files change its step loading through one key only, ``stage`` (``product`` →
``product_steps/`` and ``product_environment.py``); behave has no ``steps_dir`` key. tracertm reads behave's
default layout, so a configured stage whose steps ``step_paths`` do not read is a warning at that key, in
``steps`` and ``check`` (``steps.behave_config``). Held against behave's own dry run (skipped when absent).

Which behave runs the steps matters too: behave before 1.3 (1.2.6 was PyPI's behave from 2018 to 2025) strips the
trailing ":" of a step with a doc string or a data table before matching; 1.3 keeps it. tracertm keeps it unless
``behave_strip_trailing_colon = true``, and says, at a step undefined only because of it, which setting would match
it (``steps``, ``check``); ``sync`` stores what ``steps`` reports, and a change of the setting re-matches."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from conftest import GitRepo, run_cli
from test_behave_default_matcher_sync import _reported, _stored
from tracertm.checker import check
from tracertm.steps.project import analyze

FEATURE = "Feature: F\n  Scenario: s\n    Given a staged step\n"
STEPS = "from behave import given\n\n@given('a staged step')\ndef staged(context):\n    pass\n"


def _behave(path: Path) -> str:
    proc = subprocess.run([sys.executable, "-m", "behave", "--dry-run", "--no-summary", "--no-snippets", "-f",
                           "steps.usage"], cwd=path, capture_output=True, text=True, timeout=120)
    return proc.stdout + proc.stderr


def _stage_hints(warnings: Sequence[object]) -> list[str]:
    return [str(w) for w in warnings if "behave's stage" in str(w)]


def test_a_configured_stage_is_named_until_step_paths_read_its_steps(git_repo: GitRepo) -> None:
    git_repo.write("behave.ini", "[behave]\nformat = plain\nstage = product\n")
    # pyproject.toml is read first: behave.ini's stage wins.
    git_repo.write("pyproject.toml", '[project]\nname = "x"\n\n[tool.behave]\nstage = "other"\n')
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write("features/product_steps/staged_steps.py", STEPS)
    git_repo.commit("a behave stage")
    hint = ("behave.ini:3:1: warning: behave's stage 'product' makes behave load the step modules of "
            "product_steps/ and run product_environment.py instead of steps/ and environment.py; tracertm reads "
            "behave's default layout, so their steps show as undefined; add 'features/product_steps/**/*.py' (its "
            "features folder's) to step_paths")
    assert _stage_hints(analyze(git_repo.path).warnings) == [hint]
    assert _stage_hints(check(git_repo.path).warnings) == [hint]
    if importlib.util.find_spec("behave") is not None:
        out = _behave(git_repo.path)
        assert "features/product_steps/staged_steps.py:3" in out and "UNDEFINED" not in out, out
    # Followed: the steps are read and defined, as behave has them; nothing left to say.
    git_repo.write(".tracertm.toml", 'step_paths = ["features/product_steps/**/*.py"]\n')
    report = analyze(git_repo.path)
    assert report.undefined() == [] and _stage_hints(report.warnings) == []
    assert [d.location for d in report.definitions] == ["features/product_steps/staged_steps.py:3"]
    assert _stage_hints(check(git_repo.path).warnings) == []


@pytest.mark.parametrize("name, text, line", [
    ("setup.cfg", "[metadata]\nname = x\n\n[behave]\nstage = product\n", 5),
    ("tox.ini", "[behave]\nstage: product\n", 2),
    (".behaverc", "[behave]\nstage=product\n", 2),
    ("pyproject.toml", '[tool.behave]\nstage = "product"\n', 2),
    # A form feed and U+2028 end no line of the file (str.splitlines ends one at each).
    ("behave.ini", "[behave]\n# page one\x0cpage two\u2028\nstage = product\n", 3),
])
def test_each_configuration_file_behave_reads(git_repo: GitRepo, name: str, text: str, line: int) -> None:
    git_repo.write(name, text)
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write("features/steps/other_steps.py", STEPS.replace("a staged step", "another step"))
    git_repo.commit("a behave stage")
    assert [h.split(": warning")[0] for h in _stage_hints(analyze(git_repo.path).warnings)] == [f"{name}:{line}:1"]


def test_steps_dir_is_no_behave_setting(git_repo: GitRepo) -> None:
    """behave has no ``steps_dir`` key: it still looks for ``steps/`` (and stops: no steps directory), so
    tracertm says nothing of it and reads no ``step_definitions/`` folder either."""
    git_repo.write("behave.ini", "[behave]\nsteps_dir = step_definitions\n")
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write("features/step_definitions/staged_steps.py", STEPS)
    git_repo.commit("steps_dir")
    report = analyze(git_repo.path)
    assert report.definitions == [] and report.warnings == []
    if importlib.util.find_spec("behave") is not None:
        assert "No steps directory" in _behave(git_repo.path)


# behave 1.2.6's parser strips one ":" from the step as written when its doc string or table ends
# (``action_multiline``, ``action_table``): not from a step without one, nor from an outline row's value.
COLON_STEPS = ("from behave import given, then\n\n@given('a file named \"{name}\" with')\ndef a(c, name):\n    pass\n"
               "\n@then('it should pass with')\ndef b(c):\n    pass\n\n@given('a plain step')\ndef c(c):\n    pass\n"
               "\n@given('the value {v}')\ndef d(c, v):\n    pass\n")
COLON_FEATURE = ("Feature: F\n  Scenario: S\n    Given a file named \"x.txt\" with:\n      \"\"\"\n      hi\n      \"\"\"\n"
                 "    Then it should pass with:\n      | a |\n      | b |\n    Given a plain step:\n\n"
                 "  Scenario Outline: O\n    Given the value <v>\n      | t |\n\n    Examples:\n      | v  |\n"
                 "      | 1: |\n")


def _colon_verdicts(path: Path) -> list[tuple[str, str]]:
    return sorted((r.use.text, r.status) for r in analyze(path).results)


def test_behave_before_1_3_strips_the_trailing_colon_when_configured(git_repo: GitRepo) -> None:
    git_repo.write("features/a.feature", COLON_FEATURE)
    git_repo.write("features/steps/s.py", COLON_STEPS)
    git_repo.commit("behave 1.2.6 steps")
    # behave 1.3 (the default): the colon stays, and the two steps it keeps undefined say what would match them.
    assert _colon_verdicts(git_repo.path) == [
        ('a file named "x.txt" with:', "undefined"), ("a plain step:", "undefined"),
        ("it should pass with:", "undefined"), ("the value 1:", "defined")]
    hint = ("behave before 1.3 strips the trailing ':' of a step with a doc string or a data table, and then "
            "@given('a file named \"{name}\" with') (features/steps/s.py:3) matches it: if the project runs behave "
            "< 1.3, set behave_strip_trailing_colon = true in .tracertm.toml (or [tool.tracertm] of pyproject.toml)")
    out = run_cli("steps", "--undefined", str(git_repo.path)).stdout
    assert f'  Given a file named "x.txt" with:  # features/a.feature:3; {hint}' in out.splitlines()
    assert "  Given a plain step:  # features/a.feature:10" in out.splitlines()  # (no doc string nor table)
    undefined = sorted(w.message for w in check(git_repo.path).warnings if "undefined step" in w.message)
    assert undefined[0] == ("undefined step 'Given a file named \"x.txt\" with:': no step definition matches it "
                            f"with its trailing ':', which behave 1.3 keeps; {hint}")
    assert "behave_strip_trailing_colon" in undefined[2] and "behave_strip_trailing_colon" not in undefined[1]

    git_repo.write(".tracertm.toml", "behave_strip_trailing_colon = true\n")
    assert _colon_verdicts(git_repo.path) == [
        ('a file named "x.txt" with:', "defined"), ("a plain step:", "undefined"),
        ("it should pass with:", "defined"), ("the value 1:", "defined")]
    assert [w.message for w in check(git_repo.path).warnings if "undefined step" in w.message] == [
        "undefined step 'Given a plain step:': no step definition matches it; write one or fix the step text"]
    git_repo.write(".tracertm.toml", 'behave_strip_trailing_colon = "yes"\n')
    failed = run_cli("steps", str(git_repo.path))
    assert failed.returncode != 0 and failed.stderr.strip().endswith(
        ".tracertm.toml:1: behave_strip_trailing_colon must be a boolean (true or false), e.g. "
        "behave_strip_trailing_colon = true")


def test_sync_rematches_when_the_colon_setting_changes(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/a.feature", COLON_FEATURE)
    git_repo.write("features/steps/s.py", COLON_STEPS)
    git_repo.commit("behave 1.2.6 steps")
    assert run_cli("sync", str(git_repo.path), "--database-url", database_url).returncode == 0
    assert ('a file named "x.txt" with:', "undefined", None) in _stored(database_url)[0]
    for setting, status in (("true", "defined"), ("false", "undefined")):
        git_repo.write(".tracertm.toml", f"behave_strip_trailing_colon = {setting}\n")
        git_repo.git("add", ".tracertm.toml")
        # The hook judges the whole index under a staged setting that changed (its cache keyed by it too).
        staged = [w.message for w in check(git_repo.path, staged=True).warnings if "with:" in w.message]
        assert len(staged) == (0 if status == "defined" else 2)
        git_repo.commit(f"behave_strip_trailing_colon = {setting}")
        # A plain sync (the no-op fast path must give way): every step matched again.
        assert run_cli("sync", str(git_repo.path), "--database-url", database_url).returncode == 0
        stored = _stored(database_url)
        assert stored == _reported(str(git_repo.path))
        assert ("it should pass with:", status, "it should pass with" if status == "defined" else None) in stored[0]
        assert ("a plain step:", "undefined", None) in stored[0]
