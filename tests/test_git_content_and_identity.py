"""What a work-tree sync parses and the blob id it stores describe the same bytes, git's: a file whose attributes
transform it (``ident``, ``working-tree-encoding``, a clean/smudge filter) is parsed as git stores it, so ``sync``
and ``sync --ref`` agree and versions move only with a real change. Blob ids are the repository's (a SHA-256
repository's symlinked spec). A repository git refuses to work in (``safe.directory``) is refused, never read as a
plain folder."""

from __future__ import annotations

import base64
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from conftest import GitRepo, init_repo, run_cli
from specs import SPEC_TABLES, adr, contract, dump, feature
from tracertm.checker import check
from tracertm.engine.sync import sync
from tracertm.git.tree import store_failure, unclean_file


def _versions(engine: Any, table: str) -> list[int]:
    with engine.connect() as conn:
        return sorted(v for (v,) in conn.execute(text(f"SELECT version FROM {table}")).all())


def _checkout_again(repo: GitRepo, path: str) -> None:
    repo.remove(path)
    repo.git("checkout", "--", path)


def test_an_ident_expanded_adr_is_parsed_as_git_stores_it(git_repo: GitRepo, engine: Any) -> None:
    git_repo.write("docs/.gitattributes", "adr/*.md ident\n")  # (above the spec folder: found there too)
    git_repo.write("docs/adr/0001-first.md", adr(1, "First", extra="\nRevision $Id$\n"))
    git_repo.commit()
    _checkout_again(git_repo, "docs/adr/0001-first.md")
    assert "$Id: " in git_repo.read("docs/adr/0001-first.md")
    for ref in (None, "HEAD", None, "HEAD", None):
        result = sync(git_repo.path, engine=engine, ref=ref, full=True)
        assert result.counts["adr"]["updated"] == 0, ref
    assert _versions(engine, "adrs") == [1]
    git_repo.write("docs/adr/0001-first.md", adr(1, "Second", extra="\nRevision $Id$\n"))  # a real, local edit
    assert sync(git_repo.path, engine=engine).counts["adr"]["updated"] == 1
    git_repo.commit()
    assert sync(git_repo.path, engine=engine, ref="HEAD").counts["adr"]["updated"] == 0
    assert sync(git_repo.path, engine=engine).files_parsed == 0


def test_a_utf16_working_tree_encoding_is_read_as_its_utf8_blob(git_repo: GitRepo, engine: Any) -> None:
    git_repo.write(".gitattributes", "contracts/*.yaml working-tree-encoding=UTF-16\n")
    git_repo.commit()
    git_repo.write("contracts/ledger.yaml", contract(2, "Ledger").encode("utf-16"))
    git_repo.commit()
    assert (git_repo.path / "contracts/ledger.yaml").read_bytes()[:2] in (b"\xff\xfe", b"\xfe\xff")
    assert check(git_repo.path).errors == []
    result = sync(git_repo.path, engine=engine)
    assert not result.errors and result.counts["contract"]["created"] == 1
    git_repo.write("contracts/new.yaml", contract(3, "New").encode("utf-16"))  # untracked: cleaned too
    result = sync(git_repo.path, engine=engine)
    assert not result.errors and result.counts["contract"]["created"] == 1
    assert sync(git_repo.path, engine=engine, ref="HEAD").counts["contract"]["deleted"] == 1
    assert _versions(engine, "contracts")[0] == 1


@pytest.mark.skipif(shutil.which("base64") is None, reason="needs base64")
def test_a_clean_filter_is_applied_before_parsing(git_repo: GitRepo, engine: Any) -> None:
    git_repo.git("config", "filter.b64.clean", "base64 -w0")
    git_repo.git("config", "filter.b64.smudge", "base64 -d")
    git_repo.write(".gitattributes", "contracts/*.yaml filter=b64\n")
    git_repo.write("contracts/ledger.yaml", contract(2, "Ledger"))
    git_repo.commit()
    assert base64.b64decode(git_repo.git("cat-file", "-p", "HEAD:contracts/ledger.yaml")).startswith(b"id:")
    worktree = sync(git_repo.path, engine=engine)
    head = sync(git_repo.path, engine=engine, ref="HEAD")
    # The stored blob is base64, no contract: both sources say so alike (one error, nothing stored).
    assert [e.path for e in worktree.errors] == [e.path for e in head.errors] == ["contracts/ledger.yaml"]
    assert [e.path for e in check(git_repo.path).errors] == ["contracts/ledger.yaml"]


@pytest.mark.parametrize("change", ["modified", "untracked"])
def test_a_failing_required_clean_filter_is_an_error_for_the_file_never_its_deletion(
    git_repo: GitRepo, engine: Any, change: str
) -> None:
    # Git LFS uninstalled while its configuration stays: git refuses to store the file (``git diff``: "clean filter
    # 'x' failed"). Taken for a file gone, its records were deleted and ``check`` passed.
    git_repo.git("config", "filter.x.clean", "cat")
    git_repo.git("config", "filter.x.smudge", "cat")
    git_repo.git("config", "filter.x.required", "true")
    git_repo.write(".gitattributes", "features/*.feature filter=x\n")
    git_repo.write("docs/adr/0001-first.md", adr(1, "First"))
    git_repo.write("contracts/pay.yaml", contract(1, "Pay"))
    git_repo.write("features/pay.feature", feature(1, "Pay"))
    git_repo.commit()
    # Stat data older than the index: git's listings never run the (soon broken) filter on the unchanged file.
    old = (git_repo.path / "features/pay.feature").stat().st_mtime - 3600
    os.utime(git_repo.path / "features/pay.feature", (old, old))
    git_repo.git("update-index", "--refresh")
    assert not sync(git_repo.path, engine=engine).errors
    before = dump(engine, tables=SPEC_TABLES)
    git_repo.git("config", "filter.x.clean", "no-such-filter-binary")
    path = "features/pay.feature" if change == "modified" else "features/new.feature"
    if change == "modified":
        git_repo.write(path, feature(1, "Pay") + "    And done\n")
    else:
        git_repo.write(path, feature(2, "New"))
    expected = ("git's clean filter 'x' failed: cannot run no-such-filter-binary: No such file or directory; fix the "
                "filter (git config filter.x.clean) or its .gitattributes line")
    checked = check(git_repo.path)
    assert [(e.path, e.message) for e in checked.errors] == [(path, expected)]
    assert checked.files_checked == (3 if change == "modified" else 4)
    result = sync(git_repo.path, engine=engine)
    assert [(e.path, e.message) for e in result.errors] == [(path, expected)]
    assert dump(engine, tables=SPEC_TABLES) == before  # FEAT-1 and its scenarios kept, nothing new
    git_repo.git("config", "filter.x.clean", "cat")
    assert not sync(git_repo.path, engine=engine).errors


@pytest.mark.skipif(shutil.which("git-lfs") is not None, reason="the situation tested: Git LFS not installed")
def test_git_lfs_uninstalled_is_said_the_same_way_on_every_run(git_repo: GitRepo, engine: Any) -> None:
    # Git LFS's real configuration (a long-running filter) without its binary: git's last line is either "clean
    # filter 'lfs' failed" or, when the pipe closed first, "the remote end hung up unexpectedly" — which one was a
    # race, so the finding said a network-sounding error on some runs and flipped between syncs.
    git_repo.write(".gitattributes", "features/*.feature filter=lfs diff=lfs merge=lfs -text\n")
    git_repo.write("features/pay.feature", feature(1, "Pay"))
    git_repo.commit()
    assert not sync(git_repo.path, engine=engine).errors
    for key, command in (("clean", "git-lfs clean -- %f"), ("smudge", "git-lfs smudge -- %f"),
                         ("process", "git-lfs filter-process"), ("required", "true")):
        git_repo.git("config", f"filter.lfs.{key}", command)
    git_repo.write("features/pay.feature", feature(1, "Pay LFS"))
    said = {(e.path, e.line, e.message) for _ in range(6) for e in check(git_repo.path).errors}
    said |= {(e.path, e.line, e.message) for _ in range(2) for e in sync(git_repo.path, engine=engine).errors}
    [(path, line, message)] = said
    assert (path, line) == ("features/pay.feature", 0)
    assert message.startswith("git's clean filter 'lfs' failed: "), message
    assert "git-lfs" in message and "not found" in message, message
    assert message.endswith("; fix the filter (git config filter.lfs.process) or its .gitattributes line"), message


@pytest.mark.skipif(shutil.which("git-lfs") is not None, reason="the situation tested: Git LFS not installed")
def test_git_lfs_uninstalled_and_an_unchanged_file_touched_names_the_file_and_the_filter(
    git_repo: GitRepo, database_url: str
) -> None:
    # git's own listing (``git ls-files -m``) cleans a file whose stat data changed to compare it: it fails, and
    # its last line was all the command said — "the remote end hung up unexpectedly" on some runs, no file named.
    git_repo.write(".gitattributes", "features/*.feature filter=lfs -text\n")
    git_repo.write("features/pay.feature", feature(1, "Pay"))
    git_repo.write("features/refund.feature", feature(2, "Refund"))
    git_repo.commit()
    assert run_cli("sync", str(git_repo.path), "--database-url", database_url).returncode == 0
    git_repo.git("config", "filter.lfs.process", "git-lfs filter-process")
    git_repo.git("config", "filter.lfs.required", "true")
    for name in ("pay", "refund"):  # touched: the same text, other stat data than the index's
        old = (git_repo.path / f"features/{name}.feature").stat().st_mtime - 3600
        os.utime(git_repo.path / f"features/{name}.feature", (old, old))
    expected = (f"tracertm: error: git ls-files failed in {git_repo.path}: features/pay.feature: git's clean filter "
                "'lfs' failed: git-lfs filter-process: 1: git-lfs: not found; fix the filter (git config "
                "filter.lfs.process) or its .gitattributes line\n")
    for argv in (*[("check", str(git_repo.path))] * 6, ("status", str(git_repo.path), "--database-url", database_url),
                 ("sync", str(git_repo.path), "--database-url", database_url)):
        done = run_cli(*argv)
        assert (done.returncode, done.stderr) == (2, expected), (argv, done.stderr)
    # When git's pipe to the missing filter closed before it named the file (a race the runs above may not hit),
    # the file is the first of the index the filter will not clean.
    hung_up = "git-lfs filter-process: 1: git-lfs: not found\nfatal: the remote end hung up unexpectedly\n"
    said = unclean_file(git_repo.path, ("features/",), hung_up)
    assert said == expected.removeprefix(f"tracertm: error: git ls-files failed in {git_repo.path}: ").strip()


@pytest.mark.parametrize("stderr", [
    "git-lfs filter-process: 1: git-lfs: not found\nfatal: the remote end hung up unexpectedly\n",
    "git-lfs filter-process: 1: git-lfs: not found\nerror: packet write with format failed\nerror: Could not write "
    "client identification\nerror: initialization for subprocess 'git-lfs filter-process' failed\nfatal: "
    "features/pay.feature: clean filter 'lfs' failed\n",
])
def test_both_of_gits_answers_to_a_missing_lfs_name_the_filter(stderr: str) -> None:
    assert store_failure(stderr, "lfs") == (
        "git's clean filter 'lfs' failed: git-lfs filter-process: 1: git-lfs: not found; fix the filter "
        "(git config filter.lfs.process) or its .gitattributes line")


def test_a_finding_in_a_filtered_file_says_which_text_its_line_is_of(git_repo: GitRepo) -> None:
    # The cleaned text is parsed (what sync stores); a filter that drops lines moves the parse's line numbers away
    # from the file's on disk: such a finding says so, one filtered file whose lines are the same says nothing.
    git_repo.git("config", "filter.strip.clean", "grep -v '^#local' || true")
    git_repo.git("config", "filter.strip.smudge", "cat")
    git_repo.write(".gitattributes", "features/*.feature filter=strip\n")
    broken = "@FEAT-{}\nFeature: F{}\n\n  @SC-{}\n  Scenario: one\n    Given a\n\n    Whatever bad\n"
    git_repo.write("features/pay.feature", "#local a\n#local b\n#local c\n" + broken.format(1, 1, 1))
    git_repo.write("features/same.feature", broken.format(2, 2, 2))
    for commit in (False, True):  # new files (cleaned by git hash-object -w), then unchanged ones (the index's)
        if commit:
            git_repo.commit()
        errors = {e.path: e for e in check(git_repo.path).errors}
        assert (errors["features/pay.feature"].line, errors["features/same.feature"].line) == (8, 8)
        said = errors["features/pay.feature"].message
        assert said.endswith(" (line 8 of the text git's clean filter stores: git cat-file -p "
                             f"{git_repo.git('hash-object', 'features/pay.feature').strip()[:12]})"), said
        assert "Whatever bad" in git_repo.git("cat-file", "-p", said[-13:-1]).splitlines()[7]
        assert "clean filter" not in errors["features/same.feature"].message


def test_a_symlinked_spec_in_a_sha256_repository_gets_its_sha256_blob_id(tmp_path: Path, engine: Any) -> None:
    repo = GitRepo(tmp_path / "r")
    (tmp_path / "r").mkdir()
    repo.git("init", "-q", "-b", "main", "--object-format=sha256")
    repo.git("config", "commit.gpgsign", "false")
    repo.write("shared/x.yml", contract(500, "Linked"))
    (repo.path / "contracts").mkdir()
    os.symlink("../shared/x.yml", repo.path / "contracts/link.yaml")
    repo.commit()
    assert sync(repo.path, engine=engine).counts["contract"]["created"] == 1
    for ref in ("HEAD", None, "HEAD", None):
        assert sync(repo.path, engine=engine, ref=ref).files_parsed == 0, ref
    with engine.connect() as conn:
        (sha,) = conn.execute(text("SELECT blob_sha FROM source_files")).one()
    assert sha == repo.git("rev-parse", "HEAD:shared/x.yml") and len(sha) == 64


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="chown to another user needs root")
def test_a_repository_git_refuses_is_refused_not_synced_as_a_folder(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "own")
    repo.write(".gitignore", "contracts/local.yaml\n")
    repo.commit()
    repo.write("contracts/local.yaml", contract(777, "Ignored"))
    for dirpath, dirnames, filenames in os.walk(repo.path):
        for name in [*dirnames, *filenames, "."]:
            os.lchown(os.path.join(dirpath, name), 65534, 65534)
    for argv in (("sync", str(repo.path)), ("check", str(repo.path)), ("check", "--staged", str(repo.path))):
        result = run_cli(*argv)
        assert result.returncode == 2, result
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "dubious ownership" in lines[0], lines
        assert lines[0].endswith(f"git config --global --add safe.directory {repo.path}"), lines
    assert run_cli("status").returncode == 2  # no project was made


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="chown to another user needs root")
def test_a_repository_git_refuses_never_shows_the_only_project_of_the_database(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = init_repo(tmp_path / "other")
    other.write("docs/adr/0001-first.md", adr(1, "First"))
    other.commit()
    url = f"sqlite:///{tmp_path / 'other.db'}"
    assert run_cli("sync", str(other.path), "--database-url", url).returncode == 0
    own = init_repo(tmp_path / "own")
    own.write("docs/adr/0001-mine.md", adr(1, "Mine"))
    own.commit()
    for dirpath, dirnames, filenames in os.walk(own.path):
        for name in [*dirnames, *filenames, "."]:
            os.lchown(os.path.join(dirpath, name), 65534, 65534)
    monkeypatch.chdir(own.path / "docs")  # (from a sub-folder too: the repository around it is refused)
    for argv in (("list", "adrs"), ("status",), ("show", "ADR-0001"), ("history", "ADR-0001"), ("matrix",)):
        result = run_cli(*argv, "--database-url", url)
        assert result.returncode == 2, result
        assert result.stderr.strip().splitlines() == [
            f"tracertm: error: {own.path}: git refuses this repository (dubious ownership: it belongs to another "
            f"user); if you trust it, run: git config --global --add safe.directory {own.path}"
        ], argv
        assert "First" not in result.stdout
    monkeypatch.chdir(tmp_path)  # outside any repository: the database's only project, as before
    assert "First" in run_cli("list", "adrs", "--database-url", url).stdout
