"""The command line's project, option and configuration errors: a repository never synced is an error (not the
database's only project), list and search errors name the option typed (not the API's parameter), blank values
are refused, ``schema --model`` is honoured for every schema, a bad ``database_url`` names its file and line, and
a glob that matched nothing is reported at its line in the tracertm table, ``status --project`` shows the project's
own configuration's findings (not the current folder's), and a project and a database both named need no
configuration here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sample import sync_sample

from conftest import GitRepo, init_repo, run_cli
from specs import adr


def _one_line(err: str) -> str:
    lines = err.strip("\n").splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# ------------------------------------------------------------------------------ a repository never synced


@pytest.fixture
def synced_and_other(git_repo: GitRepo, tmp_path: Path) -> tuple[str, Path]:
    """A database holding only the project of ``git_repo`` ("sample"), and another repository, never synced, with
    an ADR of the same number: what it shows must never be the sample's ADR."""
    url = f"sqlite:///{tmp_path / 'specs.db'}"
    sync_sample(git_repo, url)
    other = init_repo(tmp_path / "other")
    other.write("docs/adr/0001-use-other-thing.md", adr(1, "Use other thing"))
    other.commit("one ADR")
    return url, other.path


@pytest.mark.parametrize(
    "argv",
    [
        ["status", "{other}"],
        ["status", "--path", "{other}"],
        ["show", "ADR-0001", "--path", "{other}"],
        ["history", "ADR-0001", "--path", "{other}"],
        ["list", "adrs", "--path", "{other}"],
        ["trace", "ADR-0001", "--path", "{other}"],
    ],
    ids=["status-PATH", "status-path", "show", "history", "list", "trace"],
)
def test_a_path_never_synced_is_an_error_not_the_only_project(
    synced_and_other: tuple[str, Path], argv: list[str]
) -> None:
    """It was exit 0 with the sample's records (the database's only project), as if they were the other's."""
    url, other = synced_and_other
    result = run_cli(*[a.format(other=other) for a in argv], "--database-url", url)
    assert result.returncode == 2, result.stdout + result.stderr
    line = _one_line(result.stderr)
    database = url.removeprefix("sqlite:///")
    assert f"no project for other in {database}; run 'tracertm sync {other}' first, or name one with --project" \
        in line
    assert result.stdout == ""


def test_the_current_folders_repository_never_synced_is_an_error(
    synced_and_other: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, other = synced_and_other
    monkeypatch.chdir(other / "docs")
    result = run_cli("list", "adrs", "--database-url", url)
    assert result.returncode == 2 and result.stdout == ""
    assert f"no project for other in {url.removeprefix('sqlite:///')}; run 'tracertm sync {other}' first" in \
        _one_line(result.stderr)
    # --project still names the one to show, from anywhere
    result = run_cli("list", "adrs", "--project", "sample", "--database-url", url)
    assert result.returncode == 0 and "ADR-0001" in result.stdout and "Use other thing" not in result.stdout


def test_a_repository_synced_under_another_name_is_found_by_its_history(
    synced_and_other: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``sync --project NAME`` then a read in that repository without ``--project``: the project whose root commit
    is this repository's is its project, whatever its name."""
    url, other = synced_and_other
    assert run_cli("sync", str(other), "--project", "elsewhere", "--database-url", url).returncode == 0
    monkeypatch.chdir(other)
    result = run_cli("show", "ADR-0001", "--database-url", url)
    assert result.returncode == 0, result.stderr
    assert "project: elsewhere" in result.stdout and "Use other thing" in result.stdout


def test_outside_any_repository_the_only_project_is_used(
    synced_and_other: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The documented fallback stays where there is no repository to go by."""
    url, _ = synced_and_other
    plain = tmp_path / "plain"
    plain.mkdir()
    monkeypatch.chdir(plain)
    result = run_cli("show", "ADR-0001", "--database-url", url)
    assert result.returncode == 0, result.stderr
    assert "project: sample" in result.stdout and "Use other thing" not in result.stdout


# ------------------------------------------------------------------------ list and search name their options


@pytest.fixture(scope="module")
def sample_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The sample synced once for the module: its tests only read it (each is a refused query). Made outside any
    test, so with the home and git identity every test gets (``conftest._isolated_home``) set here."""
    base = tmp_path_factory.mktemp("sample")
    (base / "home").mkdir()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("HOME", str(base / "home"))
        env.setenv("GIT_CONFIG_NOSYSTEM", "1")
        for key in ("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"):
            env.setenv(key, "Ada Author")
        for key in ("GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"):
            env.setenv(key, "ada@example.com")
        url = f"sqlite:///{base / 'specs.db'}"
        sync_sample(init_repo(base / "repo"), url)
    return url


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["list", "adrs", "--sort=-bogus"], "--sort 'bogus': adrs sort by"),
        (["list", "adrs", "--status", "bogus"], "--status 'bogus': not an ADR status"),
        (["list", "adrs", "--type", "x"], "--type: adrs have no type"),
        (["list", "adrs", "--feature", "FEAT-1"], "--feature: only scenarios belong to a feature"),
        (["list", "adrs", "--cursor", "garbage"], "--cursor: not a cursor of this list"),
        (["list", "adrs", "--changed-since", "zzz"], "--changed-since 'zzz': not a timestamp"),
        (["list", "test-cases", "--tag", "x"], "--tag: test-cases have no tags"),
        (["list", "test-cases", "--any-tag", "x"], "--any-tag: test-cases have no tags"),
        (["list", "test-cases", "--source-prefix", "x"], "--source-prefix: test-cases have no source path"),
        (["list", "adrs", "--source-prefix", "x" * 1100], "--source-prefix: String should have at most 1024"),
        (["list", "adrs", "--sort=number,number"], "--sort: 'number' is given twice"),
        (["search", "ledger", "--kind", "step-definitions"], "--kind: step-definitions are not indexed"),
    ],
    ids=["sort", "status", "type", "feature", "cursor", "changed-since", "tag", "any-tag", "source-prefix",
         "source-prefix-length", "sort-twice", "search-kind"],
)
def test_query_errors_name_the_option(sample_url: str, argv: list[str], expected: str) -> None:
    """They named the API's parameter (``sort 'bogus'``, ``cursor:``, ``kind:``, ``path``), not the option."""
    result = run_cli(*argv, "--project", "sample", "--database-url", sample_url)
    assert result.returncode == 2, result.stdout + result.stderr
    assert _one_line(result.stderr).startswith(f"tracertm: error: {expected}")


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["search", "ledger", "--kind", ""], "--kind"),
        (["search", "ledger", "--kind", "adrs,,scenarios"], "--kind"),
        (["list", "adrs", "--status", ""], "--status"),
        (["list", "adrs", "--status", "accepted,"], "--status"),
        (["list", "adrs", "--tag", ""], "--tag"),
        (["list", "adrs", "--any-tag", " "], "--any-tag"),
        (["list", "contracts", "--type", ""], "--type"),
        (["list", "adrs", "--sort=,"], "--sort"),
    ],
    ids=["kind", "kind-item", "status", "status-item", "tag", "any-tag", "type", "sort"],
)
def test_blank_values_are_refused(sample_url: str, argv: list[str], option: str) -> None:
    """They ran with exit 0 as if the option (or that item) had not been given."""
    result = run_cli(*argv, "--project", "sample", "--database-url", sample_url)
    assert result.returncode == 2 and result.stdout == "", result.stdout
    line = _one_line(result.stderr)
    assert f"argument {option}: " in line and ("blank" in line or "empty item" in line), line


def test_serve_refuses_a_blank_cors_origin(tmp_path: Path) -> None:
    """The server started (and allowed no origin). A process of its own, so that a server that starts anyway
    ends the test at the timeout instead of hanging it."""
    proc = subprocess.run(
        [sys.executable, "-m", "tracertm", "serve", "--port", "0", "--cors-origin", "",
         "--database-url", f"sqlite:///{tmp_path / 'x.db'}"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert "argument --cors-origin: blank" in _one_line(proc.stderr)
    assert not (tmp_path / "x.db").exists()


# ---------------------------------------------------------------------------------------------- schema --model


@pytest.mark.parametrize(
    ("name", "model", "expected"),
    [
        ("project", "update", "--model update: project has only a read model; use --model read"),
        ("sync-run", "filter", "--model filter: sync-run has only a read model; use --model read"),
        ("matrix", "update", "--model update: matrix has only a read model; use --model read"),
        ("link", "filter", "--model filter: link has read, update and page models; use --model read, update or page"),
    ],
)
def test_schema_model_a_schema_does_not_have_is_refused(name: str, model: str, expected: str) -> None:
    """It printed the read model (ProjectRead for ``--model update``), exit 0."""
    result = run_cli("schema", name, "--model", model)
    assert result.returncode == 2 and result.stdout == ""
    assert _one_line(result.stderr) == f"tracertm: error: {expected}"


def test_schema_model_is_the_one_asked_for() -> None:
    result = run_cli("schema", "link", "--model", "update")
    assert result.returncode == 0 and json.loads(result.stdout)["title"] == "LinkUpdate"
    result = run_cli("schema", "project")
    assert result.returncode == 0 and json.loads(result.stdout)["title"] == "ProjectRead"


# ------------------------------------------------------------------------------- database_url in configuration


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("mysql://x/y", "unsupported database scheme 'mysql'"),
        ("postgresql+asyncpg://u@h/d", "driver 'asyncpg' is not supported"),
        ("specs.db", "not a database URL (scheme '<none>')"),
    ],
)
@pytest.mark.parametrize(
    "argv",
    [["sync"], ["token", "create", "--scope", "read"], ["serve", "--port", "0"], ["status"], ["search", "x"],
     ["db", "current"]],
    ids=["sync", "token", "serve", "status", "search", "db-current"],
)
def test_a_bad_database_url_names_the_file_and_line(
    git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch, argv: list[str], url: str, problem: str
) -> None:
    """sync, token create and serve named no file ("in the tracertm configuration"), the others no line."""
    git_repo.write(".tracertm.toml", f'project = "x"\ndatabase_url = "{url}"\n')
    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    git_repo.commit("config")
    monkeypatch.chdir(git_repo.path)
    result = run_cli(*argv)
    assert result.returncode == 2, result.stdout + result.stderr
    line = _one_line(result.stderr)
    assert line.startswith(f"tracertm: error: {git_repo.path / '.tracertm.toml'}:2: database_url: {problem}"), line
    assert "sqlite:///PATH" in line  # and a right value


def test_a_bad_database_url_in_pyproject_names_its_line(git_repo: GitRepo) -> None:
    git_repo.write("pyproject.toml", '[project]\nname = "x"\n\n[tool.tracertm]\ndatabase_url = "mysql://x/y"\n')
    git_repo.commit("config")
    result = run_cli("sync", str(git_repo.path))
    assert result.returncode == 2
    assert f"{git_repo.path / 'pyproject.toml'}:5: database_url: unsupported database scheme 'mysql'" in \
        _one_line(result.stderr)


# ------------------------------------------------------------------------------- "matched nothing" at its line


def test_unmatched_glob_is_reported_at_its_line_in_the_tracertm_table(git_repo: GitRepo) -> None:
    """The same glob quoted in another tool's table above (line 3) was taken for the setting's line."""
    git_repo.write("pyproject.toml", (
        '[project]\nname = "x"\ndescription = "docs/adr/nothing/*.md"\nversion = "0"\n\n'
        '[tool.tracertm]\nproject = "x"\nadr_paths = ["docs/adr/nothing/*.md"]\n'
    ))
    git_repo.commit("config")
    result = run_cli("check", str(git_repo.path))
    assert "pyproject.toml:8:14: warning: adr_paths matched nothing: no file matches 'docs/adr/nothing/*.md'" in \
        result.stdout + result.stderr


def test_unmatched_glob_is_reported_at_its_line_not_at_exclude(git_repo: GitRepo) -> None:
    """A glob in ``exclude`` above the key is not the setting either; a multi-line list gives its item's line."""
    git_repo.write(".tracertm.toml", (
        'exclude = ["docs/adr/nothing/*.md"]\nadr_paths = [\n  "docs/adr/*.md",\n  "docs/adr/nothing/*.md",\n]\n'
    ))
    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    git_repo.commit("config")
    result = run_cli("check", str(git_repo.path))
    assert ".tracertm.toml:4:3: warning: adr_paths matched nothing: no file matches 'docs/adr/nothing/*.md'" in \
        result.stdout + result.stderr


# ------------------------------------------------------------------ status --project: the project's configuration


def test_status_of_a_project_asked_from_another_repository_shows_none_of_its_configuration(
    synced_and_other: tuple[str, Path], git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``status --project sample`` asked from another repository printed that repository's glob warnings as the
    sample's (text and ``warnings`` in JSON); the sample's own appear when it is asked from the sample's folder."""
    url, other = synced_and_other
    (other / ".tracertm.toml").write_text('contract_paths = ["zzz/*.yaml"]\n')
    git_repo.write(".tracertm.toml", 'contract_paths = ["contracts/*.yaml", "own/*.yaml"]\n')
    monkeypatch.chdir(other)
    text = run_cli("status", "--project", "sample", "--database-url", url)
    assert text.returncode == 0 and "project:     sample" in text.stdout, text.stderr
    assert "matched nothing" not in text.stdout + text.stderr, text.stderr
    shown = run_cli("status", "--project", "sample", "--format", "json", "--database-url", url)
    assert json.loads(shown.stdout)["warnings"] == [], shown.stderr
    monkeypatch.chdir(git_repo.path)
    own = run_cli("status", "--project", "sample", "--format", "json", "--database-url", url)
    assert [w["message"] for w in json.loads(own.stdout)["warnings"]] == [
        "contract_paths matched nothing: no file matches 'own/*.yaml'; fix the glob or remove it"], own.stderr


@pytest.mark.parametrize("argv", [["status"], ["show", "ADR-0001"], ["list", "adrs"], ["history", "ADR-0001"]])
def test_a_broken_configuration_here_does_not_block_a_project_and_database_named(
    synced_and_other: tuple[str, Path], git_repo: GitRepo, argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--project`` and the database both named: the current folder's configuration (invalid TOML) was read anyway,
    and refused every question about any project. Without the database named it is still needed (its
    ``database_url``), and the project's own folder's configuration is still reported by ``status``."""
    url, other = synced_and_other
    (other / ".tracertm.toml").write_text("adr_paths = [\n")
    monkeypatch.chdir(other)
    named = run_cli(*argv, "--project", "sample", "--database-url", url)
    assert named.returncode == 0 and named.stderr == "", named.stderr
    monkeypatch.setenv("TRACERTM_DATABASE_URL", url)
    assert run_cli(*argv, "--project", "sample").returncode == 0
    monkeypatch.delenv("TRACERTM_DATABASE_URL")
    unnamed = run_cli(*argv, "--project", "sample")
    assert unnamed.returncode == 2 and f"{other / '.tracertm.toml'}:2: invalid TOML" in _one_line(unnamed.stderr)
    if argv != ["status"]:
        return
    git_repo.write(".tracertm.toml", "adr_paths = [\n")  # (as before: the project's own, broken, is said so)
    monkeypatch.chdir(git_repo.path)
    own = run_cli(*argv, "--project", "sample", "--database-url", url)
    assert own.returncode == 2 and f"{git_repo.path / '.tracertm.toml'}:2: invalid TOML" in _one_line(own.stderr)
