"""What the README's Configuration section promises, tried through the CLI on real repositories."""

from __future__ import annotations

import json

import pytest

from conftest import GitRepo
from specs import adr, contract, feature
from tracertm.cli import main


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _check_json(capsys: pytest.CaptureFixture[str], repo: GitRepo, *extra: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    code, out, err = _cli(capsys, "check", str(repo.path), "--format", "json", *extra)
    assert code in (0, 1), err
    return code, json.loads(out)


def _paths(report: dict) -> set[str]:  # type: ignore[type-arg]
    return {d["path"] for d in report["errors"] + report["warnings"]}


def test_tool_table_in_pyproject_is_read(git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.write(
        "pyproject.toml",
        '[project]\nname = "x"\n\n[tool.tracertm]\nproject = "acme/payments"\nadr_paths = ["architecture/*.md"]\n',
    )
    git_repo.write("architecture/0001-use-git.md", adr(1, "Use git"))
    git_repo.write("docs/adr/0002-ignored.md", adr(2, "Not configured, so not read"))
    git_repo.commit("config")
    code, out, err = _cli(capsys, "sync", str(git_repo.path), "--database-url", database_url, "--format", "json")
    assert code == 0, err
    result = json.loads(out)
    assert result["project"] == "acme/payments"
    assert result["counts"]["adr"]["created"] == 1
    code, out, _ = _cli(capsys, "list", "adrs", "--project", "acme/payments", "--database-url", database_url)
    assert "ADR-0001" in out and "ADR-0002" not in out


def test_dot_tracertm_toml_wins_over_pyproject(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.write("pyproject.toml", '[tool.tracertm]\nadr_paths = ["nowhere/*.md"]\n')
    git_repo.write(".tracertm.toml", 'adr_paths = ["decisions/*.md"]\n')
    git_repo.write("decisions/0001-a.md", adr(1, "A", status="On hold"))  # a warning proves the file was read
    git_repo.commit("config")
    _, report = _check_json(capsys, git_repo)
    assert _paths(report) == {"decisions/0001-a.md", "pyproject.toml"}  # (the table's warning: it is not read)


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('colour = "blue"\n', "unknown key 'colour'"),
        ("adr_paths = \"docs/*.md\"\n", "adr_paths must be a list"),
        ("adr_paths = [1, 2]\n", "adr_paths must be a list of strings"),
        ("max_file_size = \"big\"\n", "max_file_size must be a int"),
        ("max_file_size = true\n", "max_file_size must be a int"),
        ("requirement_pattern = 'REQ-(\\d+'\n", "requirement_pattern is not a valid regular expression"),
        ("adr_paths = [\n", "invalid TOML"),
    ],
)
def test_bad_configuration_is_one_line_naming_the_file(
    git_repo: GitRepo, capsys: pytest.CaptureFixture[str], toml: str, expected: str
) -> None:
    git_repo.write(".tracertm.toml", toml)
    code, out, err = _cli(capsys, "check", str(git_repo.path))
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert ".tracertm.toml" in err and expected in err and "Traceback" not in err


def test_exclude_is_added_to_the_defaults(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.write(".tracertm.toml", 'exclude = ["docs/adr/drafts/**"]\n')
    git_repo.write("docs/adr/0001-a.md", adr(1, "A", status="On hold"))
    git_repo.write("docs/adr/drafts/0002-b.md", "not an ADR at all")
    git_repo.write("docs/adr/README.md", "# Index of decisions\n")  # a default exclude, still excluded
    git_repo.commit("drafts")
    code, report = _check_json(capsys, git_repo)
    assert code == 0 and _paths(report) == {"docs/adr/0001-a.md"}


def test_max_file_size_from_configuration(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.write(".tracertm.toml", "max_file_size = 600\n")
    git_repo.write("docs/adr/0001-small.md", adr(1, "Small"))
    git_repo.write("docs/adr/0002-large.md", adr(2, "Large", extra="\n" + "padding " * 100))
    git_repo.commit("sizes")
    code, report = _check_json(capsys, git_repo)
    assert code == 1
    assert [e["path"] for e in report["errors"]] == ["docs/adr/0002-large.md"]
    assert "600" in report["errors"][0]["message"]


def test_adr_dir_of_adr_tools_is_followed(git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.write(".adr-dir", "doc/architecture/decisions\n")
    git_repo.write("doc/architecture/decisions/0001-record-decisions.md", adr(1, "Record decisions"))
    git_repo.commit("adr-tools")
    code, out, err = _cli(capsys, "sync", str(git_repo.path), "--database-url", database_url, "--format", "json")
    assert code == 0, err
    assert json.loads(out)["counts"]["adr"]["created"] == 1


def test_adr_dir_saved_with_a_bom_names_the_same_folder(
        git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """An editor that writes a UTF-8 BOM (Notepad) changes no folder name: the ADRs stay, in the work tree, a
    commit (``--ref``) and the index (``check --staged``) alike; before, the name began with U+FEFF, matched
    nothing, and sync soft-deleted every ADR without a word."""
    git_repo.write(".adr-dir", "decisions\n")
    git_repo.write("decisions/0001-use-x.md", adr(1, "Use x"))
    git_repo.commit("adr-tools")
    url = ("--database-url", database_url)
    assert _cli(capsys, "sync", str(git_repo.path), *url)[0] == 0
    (git_repo.path / ".adr-dir").write_bytes(b"\xef\xbb\xbfdecisions\r\n")
    git_repo.commit("saved with a BOM")
    for where in ((), ("--ref", "HEAD")):
        code, out, err = _cli(capsys, "sync", str(git_repo.path), *url, *where, "--format", "json")
        assert code == 0, err
        assert json.loads(out)["counts"]["adr"].get("deleted", 0) == 0
    code, out, _ = _cli(capsys, "check", str(git_repo.path), "--staged", "--all", "--format", "json")
    assert code == 0 and json.loads(out)["files_checked"] == 1, out


def test_list_by_tag(git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.write("features/a.feature", "@payments\n" + feature(1, "Pay"))
    git_repo.write("features/b.feature", feature(2, "Browse"))
    git_repo.commit("features")
    url = ("--database-url", database_url)
    assert _cli(capsys, "sync", str(git_repo.path), *url)[0] == 0
    code, out, _ = _cli(capsys, "list", "features", "--tag", "payments", "--format", "json", *url,
                        "--project", "repo")  # not the test run's own repository's project
    assert code == 0 and [f["number"] for f in json.loads(out)] == ["FEAT-1"]


def test_status_takes_the_repository_as_argument_and_lists_files_in_error(
    git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    git_repo.write("features/broken.feature", "Feature: Broken\n  Scenario: x\n    Given a\n  Nonsense here\n")
    git_repo.commit("one broken")
    url = ("--database-url", database_url)
    assert _cli(capsys, "sync", str(git_repo.path), *url)[0] == 1
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    import os

    cwd = os.getcwd()
    os.chdir(elsewhere)  # PATH, not the current folder, decides the project
    try:
        code, out, err = _cli(capsys, "status", str(git_repo.path), *url)
    finally:
        os.chdir(cwd)
    assert code == 0, err
    assert "project:     repo" in out
    assert "files in error:" in out and "features/broken.feature:4:" in out


def test_check_staged_all_reports_every_file(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.write("docs/adr/0001-a.md", adr(1, "A", status="On hold"))  # committed warning
    git_repo.commit("a")
    git_repo.write("docs/adr/0002-b.md", adr(2, "B", status="Someday"))
    git_repo.git("add", "-A")
    _, staged = _check_json(capsys, git_repo, "--staged")
    _, everything = _check_json(capsys, git_repo, "--staged", "--all")
    assert _paths(staged) == {"docs/adr/0002-b.md"}
    assert _paths(everything) == {"docs/adr/0001-a.md", "docs/adr/0002-b.md"}


def test_a_character_class_in_a_glob_is_a_class_in_every_source(
    git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``[1-4]`` in an exclude excluded nothing, without a word (it was the literal text "[1-4]"); as in fnmatch and
    gitignore it is one character of the class, in the work tree, the index and a commit alike."""
    git_repo.write(".tracertm.toml", 'adr_paths = ["docs/adr/[0-9][0-9][0-9][0-9]-[!x]*.md"]\n'
                                     'exclude = ["docs/adr/000[1-2]-*.md"]\n'
                                     'contract_paths = ["contracts/v[12].yam[l]"]\n')
    for number, name in ((1, "a"), (2, "b"), (3, "c"), (4, "xd")):
        git_repo.write(f"docs/adr/000{number}-{name}.md", adr(number, name, status="On hold"))  # a warning: read
    git_repo.write("contracts/v1.yaml", contract(1, "One"))
    git_repo.write("contracts/v3.yaml", "not: [a contract")  # an error, were it read
    git_repo.commit("classes")
    for extra in ((), ("--staged", "--all")):
        code, report = _check_json(capsys, git_repo, *extra)
        assert code == 0 and _paths(report) == {"docs/adr/0003-c.md"}, (extra, report)  # (no "matched nothing")
        assert report["files_checked"] == 2, report
    code, out, err = _cli(capsys, "sync", str(git_repo.path), "--ref", "HEAD", "--database-url", database_url,
                          "--format", "json")
    assert code == 0, err
    assert {k: json.loads(out)["counts"][k]["created"] for k in ("adr", "contract")} == {"adr": 1, "contract": 1}
