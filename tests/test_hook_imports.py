"""What ``check --staged`` loads in a pre-commit hook: no database layer, and only the parser of the kinds the
commit changes (the sketches of every other file come from the cache)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import GitRepo
from specs import adr, contract, feature

DUMP_MODULES = (
    "import json, sys\n"
    "from tracertm.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "print(json.dumps(sorted(sys.modules)))\n"
    "sys.exit(code)\n"
)
# Modules of each parser that only that kind needs.
PARSER_MODULES = {
    "adr": ("tracertm.parsers.adr",),
    "contract": ("tracertm.parsers.contract",),  # (yaml: ADR front matter uses it too)
    "feature": ("tracertm.parsers.feature", "gherkin"),
}
DATABASE_MODULES = ("sqlalchemy", "alembic", "pydantic", "tracertm.models", "psycopg")


def _check_staged(repo: GitRepo, *argv: str) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-c", DUMP_MODULES, *(argv or ("check", "--staged"))],
        cwd=repo.path, capture_output=True, text=True, check=False, timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 parsed" in proc.stderr
    return set(json.loads(proc.stdout.strip().splitlines()[-1]))


def _loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


@pytest.mark.parametrize("changed", ["adr", "contract", "feature"])
def test_check_staged_loads_only_the_parser_of_the_changed_kind(git_repo: GitRepo, changed: str) -> None:
    paths = {"adr": "docs/adr/0001-use-git.md", "contract": "contracts/payments.yaml",
             "feature": "features/login.feature"}
    git_repo.write(paths["adr"], adr(1, "Use git"))
    git_repo.write(paths["contract"], contract(1, "Payments"))
    git_repo.write(paths["feature"], feature(1, "Login"))
    git_repo.commit("seed")
    subprocess.run([sys.executable, "-m", "tracertm", "check"], cwd=git_repo.path, check=True, capture_output=True)
    edits = {"adr": adr(1, "Use git", decision="We will use git everywhere."),
             "contract": contract(1, "Payments", states=("pending", "paid", "void")),
             "feature": feature(1, "Log in")}
    git_repo.write(paths[changed], edits[changed])
    git_repo.git("add", paths[changed])
    modules = _check_staged(git_repo)
    assert _loaded(modules, DATABASE_MODULES) == []
    assert "tracertm.git.log" not in modules, "a hook reads the index, never history"
    assert "argparse" not in modules, "the hook's own command line is recognised without a parser"
    assert "tracertm.rough_sketch" not in modules, "the cache is warm: nothing is sketched by regular expressions"
    # sync's planner (and the uuid module it needs, which imports platform): ~10 ms of a 130 ms hook
    assert _loaded(modules, ("tracertm.engine.plan", "uuid")) == [], "a check plans no write"
    assert _loaded(modules, ("tracertm.steps",)) == [], "no step file in the index: the step checks have nothing to do"
    for kind, names in PARSER_MODULES.items():
        if kind == changed:
            assert _loaded(modules, names), f"the {kind} parser checks the change"
        else:
            assert _loaded(modules, names) == [], f"a {changed} change needs no {kind} parser"


def test_the_frameworks_hook_check_loads_what_check_staged_loads(git_repo: GitRepo) -> None:
    """``hook check FILE...``, what the pre-commit framework's tracertm-check runs in a commit (it names the staged
    files): no argparse, no database layer, only the changed kind's parser."""
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.write("features/login.feature", feature(1, "Login"))
    git_repo.commit("seed")
    subprocess.run([sys.executable, "-m", "tracertm", "check"], cwd=git_repo.path, check=True, capture_output=True)
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git", decision="We will use git everywhere."))
    git_repo.write("notes.txt", "not a spec\n")
    git_repo.git("add", "-A")
    modules = _check_staged(git_repo, "hook", "check", "docs/adr/0001-use-git.md", "notes.txt")
    assert _loaded(modules, DATABASE_MODULES) == []
    assert "argparse" not in modules
    assert _loaded(modules, PARSER_MODULES["feature"]) == [], "the commit changes no feature"


@pytest.mark.parametrize("argv", [
    ["sync"], ["hook", "check"], ["hook", "check", "docs/adr/0001-x.md", "README.md"],
    ["hook", "check", "--strict", "--format", "github", "a.feature"], ["sync", "repo", "--staged", "--format", "json", "--exit-code"], ["--traceback", "sync", "--ref", "v1"],
    ["check", "--staged"], ["check", "--all", "--staged", "--strict", "--format", "github"], ["hook", "sync", "x"],
    ["hook", "install", "--sync-on", "all"],
])
def test_the_hook_verbs_parse_alone_as_in_the_whole_command_line(argv: list[str]) -> None:
    from tracertm.cli import _verb, build_parser

    alone = build_parser(_verb(argv))
    assert vars(alone.parse_args(argv)) == vars(build_parser().parse_args(argv))
    # Only the named verb was built.
    choices = alone._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert list(choices) == [argv[0] if argv[0] != "--traceback" else argv[1]]


def test_the_hook_command_line_parses_as_argparse_parses_it() -> None:
    """``check --staged`` (what ``hooks.script`` runs) skips argparse; its values must be argparse's own."""
    from tracertm.cli import _hook_args, build_parser

    argv = ["check", "--staged"]
    fast = _hook_args(argv)
    assert fast is not None
    assert vars(fast) == vars(build_parser().parse_args(argv)) == vars(build_parser("check").parse_args(argv))
    for argv in (["hook", "check"], ["hook", "check", "docs/adr/0001-x.md", "features/a b.feature"]):
        fast = _hook_args(argv)
        assert fast is not None
        assert vars(fast) == vars(build_parser().parse_args(argv)) == vars(build_parser("hook").parse_args(argv))
    for other in (["check"], ["check", "--staged", "--strict"], ["--traceback", "check", "--staged"],
                  ["check", "--staged", "."], ["sync"], ["check", "--all", "--staged"],
                  ["hook", "check", "--strict", "a.md"], ["hook", "check", "a.md", "--no-cache"], ["hook", "sync"],
                  ["hook", "check", " "]):
        assert _hook_args(other) is None, other
