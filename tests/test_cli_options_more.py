"""The CLI's error contract for options and arguments: one line naming the option (or file), exit 2, nothing
created or started on the way; a closed stdout pipe is 141; sync's text output carries check's warnings."""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sample import sync_sample

from conftest import GitRepo
from specs import adr, contract
from tracertm.cli import main


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _one_line(err: str) -> str:
    lines = err.strip("\n").splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# ------------------------------------------------------------------------------------------------ broken pipe


@pytest.mark.parametrize("broken_files", [0, 200], ids=["buffered-output", "large-output"])
def test_closed_stdout_exits_141_quietly(git_repo: GitRepo, broken_files: int) -> None:
    """`tracertm check | head -1` under pipefail: a failing check must not look like a success (it was 0), and the
    interpreter's flush at exit must not print 'Exception ignored ... BrokenPipeError' (it was 120 and a message)."""
    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    for i in range(broken_files):
        git_repo.write(f"docs/adr/{100 + i:04d}-x.md", b"# 1. X\n\x00")
    git_repo.commit("specs")
    read, write = os.pipe()
    os.close(read)  # the reader is gone before tracertm writes a byte
    argv = ["check", str(git_repo.path)] if broken_files else ["check", "--format", "json", str(git_repo.path)]
    proc = subprocess.Popen([sys.executable, "-m", "tracertm", *argv], stdout=write, stderr=subprocess.PIPE)
    os.close(write)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 141, err
    if not broken_files:
        assert err == b""
    assert b"BrokenPipeError" not in err and b"Exception ignored" not in err


# ------------------------------------------------------------------------------------------- option ranges


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["results", "prune", "--keep", "99999999999999999999"], "--keep"),
        (["results", "prune", "--keep", "-1"], "--keep"),
        (["sync", "--jobs", "0"], "--jobs"),
        (["sync", "--jobs", "-5"], "--jobs"),
        (["check", "--jobs", "0"], "--jobs"),
        (["backfill", "--batch-size", "0"], "--batch-size"),
        (["diff", "HEAD", "--jobs", "-1"], "--jobs"),
        (["search", "x", "--limit", "0"], "--limit"),
        (["search", "x", "--limit", "-3"], "--limit"),
        (["search", "x", "--limit", "101"], "--limit"),
        (["list", "adrs", "--limit", "0"], "--limit"),
        (["list", "adrs", "--limit", "99999999999999999999"], "--limit"),
        (["trace", "ADR-0001", "--depth", "11"], "--depth"),
        (["trace", "ADR-0001", "--depth", "-1"], "--depth"),
        (["results", "import", "x.xml", "--window", "0"], "--window"),
        (["results", "import", "x.xml", "--max-size", "99999999999999999999"], "--max-size"),
        (["serve", "--port", "70000"], "--port"),
        (["serve", "--workers", "0"], "--workers"),
        (["serve", "--max-body", "-5"], "--max-body"),
        (["serve", "--max-report-size", "0"], "--max-report-size"),
        (["watch", "--debounce", "nan"], "--debounce"),
        (["watch", "--reconcile-every", "0"], "--reconcile-every"),
        (["sync", "--project", ""], "--project"),
        (["status", "--project", "   "], "--project"),
        (["results", "runs", "--project", ""], "--project"),
        (["status", "--database-url", ""], "--database-url"),
        (["results", "import", "x.xml", "--commit", ""], "--commit"),
        # blank values that used to mean "not given": `show --at "$SHA"` with an unset variable printed today's record
        (["show", "ADR-0001", "--at", ""], "--at"),
        (["backfill", "--ref", ""], "--ref"),
        (["list", "adrs", "--changed-since", ""], "--changed-since"),
        (["list", "adrs", "--related-adr", " "], "--related-adr"),
        (["list", "adrs", "--sort", ""], "--sort"),
        (["list", "adrs", "--cursor", ""], "--cursor"),
        (["list", "adrs", "--path", ""], "--path"),
        (["results", "list", "--since", ""], "--since"),
        (["results", "runs", "--since", ""], "--since"),
        (["db", "upgrade", "--revision", ""], "--revision"),
    ],
)
def test_out_of_range_and_blank_options_are_one_usage_line(
    argv: list[str], option: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'never.db'}"
    extra = [] if "--database-url" in argv or argv[0] in ("check", "diff") else ["--database-url", url]
    code, out, err = _cli(capsys, *argv, *extra)
    assert code == 2 and out == ""
    assert f"argument {option}:" in _one_line(err)
    assert not (tmp_path / "never.db").exists()


@pytest.mark.parametrize("size", ["0", "1000001", "5000000000000000000"])
def test_the_batch_size_variable_has_the_range_of_the_option(
    git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], size: str
) -> None:
    """``--batch-size`` refuses more than 1,000,000 commits; ``$TRACERTM_BACKFILL_BATCH_SIZE``, its default, took any
    number (a batch of 5e18 commits is no batch)."""
    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    git_repo.commit("a")
    monkeypatch.setenv("TRACERTM_BACKFILL_BATCH_SIZE", size)
    url = f"sqlite:///{tmp_path / 'never.db'}"
    code, out, err = _cli(capsys, "backfill", str(git_repo.path), "--database-url", url)
    assert (code, out) == (2, "")
    assert _one_line(err) == (f"tracertm: error: $TRACERTM_BACKFILL_BATCH_SIZE={size}: must be 1 to 1000000 "
                              "(commits per batch)")
    assert not (tmp_path / "never.db").exists()


def test_check_all_without_staged_is_refused(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _cli(capsys, "check", "--all", str(git_repo.path))
    assert code == 2 and "--all" in _one_line(err) and "--staged" in err


# ------------------------------------------------------------------------------------------------------ hooks


def test_hooks_path_naming_a_file_is_one_line_naming_core_hooks_path(
    git_repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    git_repo.git("config", "core.hooksPath", str(blocker))
    code, _, err = _cli(capsys, "hook", "install", str(git_repo.path))
    assert code == 2 and "core.hooksPath" in _one_line(err) and str(blocker) in err
    code, out, err = _cli(capsys, "hook", "uninstall", str(git_repo.path))
    assert code == 0 and "no tracertm hooks" in out


# ------------------------------------------------------------------------------------------------------ serve


def test_serve_on_a_port_in_use_or_a_bad_host_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = ["--database-url", f"sqlite:///{tmp_path / 'db.sqlite'}"]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = _cli(capsys, "serve", "--port", str(port), *url)
    assert code == 2 and "--port" in _one_line(err) and "in use" in err and out == ""
    code, out, err = _cli(capsys, "serve", "--host", "999.1.1.1", *url)
    assert code == 2 and "--host 999.1.1.1" in _one_line(err) and out == ""


# ------------------------------------------------------------------------------------- databases not created


@pytest.mark.parametrize(
    "argv",
    [["status"], ["list", "adrs"], ["show", "ADR-0001"], ["history", "ADR-0001"], ["search", "ledger"],
     ["trace", "ADR-0001"], ["matrix"], ["review", "--all"], ["results", "runs"], ["coverage"], ["token", "list"]],
)
def test_reading_commands_never_create_a_database(
    argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    typo = tmp_path / "typo" / "dir" / "x.db"
    code, _, err = _cli(capsys, *argv, "--database-url", f"sqlite:///{typo}")
    line = _one_line(err)
    assert code == 2 and f"no database at {typo}" in line and "tracertm sync" in line and "--database-url" in line
    assert not (tmp_path / "typo").exists()


def test_reading_without_any_database_names_the_default_and_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tracertm import db

    monkeypatch.chdir(tmp_path)
    code, _, err = _cli(capsys, "status")
    assert code == 2 and f"no database at {db.default_database_path()}" in _one_line(err)
    assert not db.default_database_path().exists()


@pytest.mark.parametrize("where", ["option", "environment"])
def test_sqlite_url_with_a_query_string_is_one_line_and_creates_nothing(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    url = "sqlite:///relative.db?mode=ro"
    if where == "environment":
        monkeypatch.setenv("TRACERTM_DATABASE_URL", url)
    code, _, err = _cli(capsys, "status", *(["--database-url", url] if where == "option" else []))
    line = _one_line(err)  # (was: a 3-line SAWarning, and a new relative.db)
    assert code == 2 and "query string" in line
    assert ("--database-url" if where == "option" else "$TRACERTM_DATABASE_URL") in line
    assert not (tmp_path / "relative.db").exists()


# ------------------------------------------------------------------------------------------------------- sync


def test_sync_text_output_prints_parse_warnings(
    git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    git_repo.write("contracts/ledger.yaml", contract(2, "Ledger") + "title: Again\nfoo: 1\n")
    git_repo.commit("specs")
    for attempt in ("first sync", "no-op sync (the fast path)"):
        code, _, err = _cli(capsys, "sync", str(git_repo.path), "--database-url", database_url)
        assert code == 0, attempt
        assert "contracts/ledger.yaml:" in err and "warning: duplicate key 'title'" in err, attempt
        assert "warning: unknown key 'foo'" in err, attempt


@pytest.mark.parametrize(("verb", "what"), [("sync", "repository"), ("check", "repository"),
                                            ("steps", "repository"), ("watch", "folder holding repositories")])
def test_a_file_given_as_folder_is_not_a_folder(
    verb: str, what: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    afile = tmp_path / "passwd"
    afile.write_text("root\n")
    extra = ["--database-url", f"sqlite:///{tmp_path / 'db.sqlite'}"] if verb in ("sync", "watch") else []
    code, _, err = _cli(capsys, verb, str(afile), *extra)
    assert code == 2 and f"{afile}: not a folder" in _one_line(err) and what in err


# ------------------------------------------------------------------------------------------ list, review, ...


def test_list_next_page_command_works_when_pasted_elsewhere(
    git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    sync_sample(git_repo, url, project="first")
    sync_sample(git_repo, url, project="second")  # two projects: the project is not implied any more
    monkeypatch.chdir(tmp_path)
    code, out, err = _cli(capsys, "list", "adrs", "--limit", "3", "--project", "first", "--database-url", url)
    assert code == 0 and err.startswith("more: tracertm list adrs --cursor ")
    command = shlex.split(err.removeprefix("more: ").strip())
    assert command[:3] == ["tracertm", "list", "adrs"] and "--project" in command and url in command
    code, out, err = _cli(capsys, *command[1:])
    assert code == 0, err
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["ADR-0004", "ADR-0005", "ADR-0006"]


@pytest.mark.parametrize("name", ["-x", "--help"])
def test_next_page_command_of_a_project_named_like_an_option_works_when_pasted(
    git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    # "--project -x" was printed, and argparse read "-x" as an option: the pasted command was refused ("argument
    # --project: expected one argument"), or showed the help of "list" for "--help".
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    sync_sample(git_repo, url, project=name)
    sync_sample(git_repo, url, project="other")  # two projects: the project is not implied
    monkeypatch.chdir(tmp_path)
    for first, second in ((["list", "adrs", "--limit", "3"], ["ADR-0004", "ADR-0005", "ADR-0006"]),
                          (["trace", "ADR-0005", "--limit", "1"], None)):
        code, out, err = _cli(capsys, *first, f"--project={name}", "--database-url", url)
        assert code == 0 and err.startswith(f"more: tracertm {first[0]} "), err
        command = shlex.split(err.removeprefix("more: ").strip())
        code, out, err = _cli(capsys, *command[1:])
        assert code == 0 and "usage:" not in out, (command, err)
        assert f"--project={name}" in command, command
        if second is not None:
            assert [line.split()[0] for line in out.splitlines()[1:]] == second
        else:
            assert out.startswith("adr ADR-0005"), out


def test_next_page_command_hides_a_password(
    git_repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse

    from tracertm.cli.records import next_page_command

    args = argparse.Namespace(database_url="postgresql+psycopg://u:s3cret@h/db", path=None)
    command = next_page_command(args, ["list", "adrs"], "p", "CUR", ("--format", "json"))
    assert "s3cret" not in command and "--format json" in command and "--project p" in command


def test_invalid_ci_commit_variable_is_named(
    git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    sync_sample(git_repo, url)
    report = tmp_path / "j.xml"
    report.write_text('<testsuite><testcase classname="a" name="b"/></testsuite>')
    monkeypatch.chdir(git_repo.path)
    for variable in ("GITHUB_SHA", "CI_COMMIT_SHA"):
        monkeypatch.setenv(variable, "not-a-sha")
        # --project: synced as "sample", the repository's own name is "repo" (never synced).
        code, _, err = _cli(capsys, "results", "import", str(report), "--database-url", url, "--project", "sample")
        line = _one_line(err)
        assert code == 2 and f"${variable}='not-a-sha'" in line and "--commit 'not-a-sha'" not in line
        monkeypatch.delenv(variable)


def test_review_of_an_unknown_link_points_at_a_real_command(
    git_repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    sync_sample(git_repo, url)
    # --project: not the test run's own repository's project (never synced).
    code, _, err = _cli(capsys, "review", "999999", "--database-url", url, "--project", "sample")
    line = _one_line(err)
    # (the command names the project: it is run from anywhere)
    assert code == 2 and "'tracertm links'" not in line and "'tracertm status --project sample'" in line


def test_schema_of_an_unknown_kind_lists_every_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _cli(capsys, "schema", "bogus")
    line = _one_line(err)
    assert code == 2 and all(name in line for name in ("adr", "link", "matrix", "coverage", "trace-graph", "status"))


def test_search_query_starting_with_a_dash_suggests_double_dash(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _cli(capsys, "search", "-ledger")
    assert code == 2 and "tracertm search -- '-ledger'" in _one_line(err)


@pytest.mark.parametrize("label", ["x" * 252, "a\tb", "two\nlines", "   "])
def test_a_token_label_is_one_printable_line_the_column_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], label: str
) -> None:
    """The label is the actor of the revisions the token writes: PostgreSQL refused 256 characters with an internal
    error, SQLite kept tabs and newlines in the actor name. As ``api:<label>`` it is also a link's reviewer (255
    characters): 252 made every review by the token an internal error on PostgreSQL."""
    code = main(["token", "create", "--label", label, "--database-url", f"sqlite:///{tmp_path / 't.db'}"])
    assert code == 2 and "--label" in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "expected"), [
    (["watch", "--debounce", "4000000"], "argument --debounce: 4000000 is out of range; give 0 to 3,600,000"),
    (["watch", "--reconcile-every", "0"], "argument --reconcile-every: 0 is out of range; give more than 0 to "
                                          "31,536,000"),
])
def test_a_range_is_written_out_as_the_readme_writes_it(
    argv: list[str], expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # (It said "give 0 to 3.6e+06".)
    monkeypatch.chdir(tmp_path)
    code, out, err = _cli(capsys, *argv, "--database-url", f"sqlite:///{tmp_path / 'never.db'}")
    assert code == 2 and out == "" and expected in _one_line(err), err
