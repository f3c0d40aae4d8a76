"""A behave step module that imports a step library from the repository (``import steplib.web_steps``) makes
behave register the library's definitions; tracertm reads only the files ``step_paths`` match, so those steps
showed as undefined with no word why (issue #15). The import now gets a warning naming the library file and the
glob that reads it; following it makes the verdicts behave's own (``--dry-run``, when behave is installed)."""

from __future__ import annotations

import pytest

from conftest import GitRepo
from test_behave_default_matcher_across_modules import behave_undefined
from tracertm.checker import check
from tracertm.errors import Diagnostic
from tracertm.steps.project import analyze

FEATURE = "Feature: F\n  Scenario: s\n    Given a browser\n    When I log in\n    Then I see the api\n"
LOCAL = "@when('I log in')\ndef log_in(context):\n    pass\n"
WEB = "from behave import given\n\n@given('a browser')\ndef browser(context):\n    pass\n"
API = "from behave import then\n\n@then('I see the api')\ndef api(context):\n    pass\n"


def _hints(warnings: list[Diagnostic]) -> list[str]:
    return [str(w) for w in warnings if "step library" in w.message]


def test_a_library_import_is_named_with_the_glob_that_reads_it(git_repo: GitRepo) -> None:
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write("features/steps/local_steps.py", LOCAL)
    git_repo.write("features/steps/use_lib.py", "import os\n\nimport steplib.web_steps\nimport steplib.api_steps\n")
    git_repo.write("steplib/__init__.py", "")
    git_repo.write("steplib/web_steps.py", WEB)
    git_repo.write("steplib/api_steps.py", API)
    git_repo.commit("library")
    report = analyze(git_repo.path)
    assert sorted(r.use.text for r in report.undefined()) == ["I see the api", "a browser"]
    assert _hints(report.warnings) == [
        "features/steps/use_lib.py:3:1: warning: imports step library steplib.web_steps (steplib/web_steps.py: 1 "
        "step definition), which step_paths do not match: behave registers its steps, tracertm does not read them, "
        "so steps only they define show as undefined; add 'steplib/**/*.py' to step_paths",
        "features/steps/use_lib.py:4:1: warning: imports step library steplib.api_steps (steplib/api_steps.py: 1 "
        "step definition), which step_paths do not match: behave registers its steps, tracertm does not read them, "
        "so steps only they define show as undefined; add 'steplib/**/*.py' to step_paths",
    ]
    assert len(_hints(check(git_repo.path).warnings)) == 2
    # The hint followed: tracertm reads the library, the steps are defined, no hint is left.
    git_repo.write(".tracertm.toml", 'step_paths = ["features/steps/**/*.py", "steplib/**/*.py"]\n')
    report = analyze(git_repo.path)
    assert report.undefined() == [] and _hints(report.warnings) == []
    assert _hints(check(git_repo.path).warnings) == []
    pytest.importorskip("behave")
    # What behave says, the library imported.
    assert behave_undefined(str(git_repo.path), ("a browser", "I log in", "I see the api")) == []


def test_imports_resolve_as_behaves_sys_path_and_through_the_library(git_repo: GitRepo) -> None:
    """The steps folder, then the working directory (the project root), then the features folder; a library's own
    imports, relative or absolute, run their files too."""
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write("features/steps/local_steps.py", LOCAL + "from shared import *\nimport allsteps\n")
    # ``shared`` exists at the root and in the features folder: the working directory comes first on sys.path.
    git_repo.write("shared.py", "X = 1\n")
    git_repo.write("features/shared.py", WEB)
    # ``allsteps`` only in the features folder; it pulls in a package's modules.
    git_repo.write("features/allsteps.py", "from lib import web\n")
    git_repo.write("lib/__init__.py", "from . import api\n")
    git_repo.write("lib/web.py", WEB.replace("a browser", "a web page"))
    git_repo.write("lib/api.py", API)
    git_repo.commit("libraries")
    hints = _hints(analyze(git_repo.path).warnings)
    assert len(hints) == 1, hints
    assert hints[0].startswith("features/steps/local_steps.py:5:1: warning: imports step library allsteps "
                               "(lib/web.py, lib/api.py: 2 step definitions)")
    assert hints[0].endswith("add 'lib/**/*.py' to step_paths")
    pytest.importorskip("behave")
    # behave: ``a browser`` is undefined (the root's shared.py wins), ``I see the api`` defined through lib.
    assert behave_undefined(str(git_repo.path), ("a browser", "I log in", "I see the api")) == ["a browser"]
    git_repo.write(".tracertm.toml", 'step_paths = ["features/steps/**/*.py", "lib/**/*.py"]\n')
    assert sorted(r.use.text for r in analyze(git_repo.path).undefined()) == ["a browser"]


def test_no_hint_for_modules_that_are_not_the_repositorys_or_define_no_steps(git_repo: GitRepo) -> None:
    git_repo.write("features/a.feature", "Feature: F\n  Scenario: s\n    When I log in\n")
    # The standard library, an installed package, behave itself (even where the repository has a behave folder: the
    # runner imported it first), a repository module without step definitions, a module nowhere.
    git_repo.write("features/steps/local_steps.py", "import json\nimport parse\nfrom behave import when\n"
                   "from behave.model import Step\nimport helpers\nimport not_installed_anywhere\n" + LOCAL)
    git_repo.write("behave/__init__.py", "from behave import given\n@given('x')\ndef x(c):\n    pass\n")
    git_repo.write("behave/model.py", "from behave import given\n@given('y')\ndef y(c):\n    pass\n")
    git_repo.write("helpers.py", "import os\n\ndef helper():\n    return 1\n")
    git_repo.commit("plain imports")
    report = analyze(git_repo.path)
    assert report.undefined() == []
    assert _hints(report.warnings) == []
    assert _hints(check(git_repo.path).warnings) == []


def test_the_source_decides_which_files_exist(git_repo: GitRepo) -> None:
    """``--ref`` reads the commit's files, ``--staged`` and the hook the index's."""
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write("features/steps/use_lib.py", "import steplib\n" + LOCAL)
    git_repo.write("steplib.py", WEB)
    git_repo.commit("library")
    git_repo.remove("steplib.py")
    assert _hints(analyze(git_repo.path).warnings) == []  # the work tree lacks it
    assert len(_hints(analyze(git_repo.path, ref="HEAD").warnings)) == 1
    assert len(_hints(analyze(git_repo.path, staged=True).warnings)) == 1
    assert _hints(check(git_repo.path).warnings) == []
    # The hook: a commit that changes the step module is told, against the index's files.
    git_repo.write("features/steps/use_lib.py", "import steplib  # the library\n" + LOCAL)
    git_repo.git("add", "features/steps/use_lib.py")
    hints = _hints(check(git_repo.path, staged=True).warnings)
    assert hints and hints[0].startswith("features/steps/use_lib.py:1:1: warning: imports step library steplib "
                                         "(steplib.py: 1 step definition)")
    assert hints[0].endswith("add 'steplib.py' to step_paths")


def test_check_hints_when_the_step_modules_only_import_libraries(git_repo: GitRepo) -> None:
    """A project whose step modules define nothing themselves (they only import the library) gets no step verdict
    from ``check`` — nothing to judge the steps by — but still the hint that says why."""
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write("features/steps/use_lib.py", "from steplib import web_steps, api_steps  # noqa: F401\n")
    git_repo.write("steplib/__init__.py", "")
    git_repo.write("steplib/web_steps.py", WEB)
    git_repo.write("steplib/api_steps.py", API)
    git_repo.commit("library only")
    result = check(git_repo.path)
    assert [w.message for w in result.warnings if "undefined step" in w.message] == []
    assert [f"{w.path}:{w.line}" for w in result.warnings if "step library" in w.message] == [
        "features/steps/use_lib.py:1", "features/steps/use_lib.py:1"]


def test_the_glob_to_add_is_quoted_as_toml_writes_it() -> None:
    """As the configuration's messages quote a glob: Python's repr doubled a backslash (another glob in TOML)."""
    from tracertm.steps.libraries import _message, _Target

    target = _Target("lib", ("", "o'k"), "lib", True)
    said = _message(target, ["o'k/lib/a.py", "x\\y/b.py"], 2)
    assert said.endswith("""add "o'k/lib/**/*.py" and 'x\\y/**/*.py' to step_paths""")
