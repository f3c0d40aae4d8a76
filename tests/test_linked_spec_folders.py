"""A spec folder that is a symbolic link committed to git (``features -> shared/features``) and an adr-tools
``.adr-dir`` that names a folder outside the repository: tracertm reads neither, and says so in one warning naming
the file and what to do, in ``check`` (``--staged``, the hook, too), ``sync`` (its no-op fast path too) and
``status`` — never zero files, exit 0, without a word."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from conftest import GitRepo, run_cli
from specs import adr, feature
from tracertm import fastpath
from tracertm.checker import check

LINKED = ("features:0:0: warning: a symbolic link to the folder 'shared/features', which tracertm does not follow: "
          "the files under it are not read as specs; point the setting at the target, e.g. "
          'feature_paths = ["shared/features/**/*.feature"]')


def _linked_features(repo: GitRepo) -> None:
    repo.write("shared/features/login.feature", feature(1, "Login"))
    os.symlink("shared/features", repo.path / "features")
    repo.commit("features are shared")


def _messages(diagnostics: list[Any]) -> list[str]:
    return [f"{d.path}:{d.line}:{d.column}: {d.severity}: {d.message}" for d in diagnostics]


def test_a_linked_feature_folder_is_a_warning_in_check_and_the_hook(git_repo: GitRepo) -> None:
    _linked_features(git_repo)
    proc = run_cli("check", str(git_repo.path))
    assert proc.returncode == 0, proc.stderr
    assert LINKED in proc.stdout.splitlines(), proc.stdout
    assert run_cli("check", str(git_repo.path), "--strict").returncode == 1
    assert _messages(check(git_repo.path, ref="HEAD").warnings) == [LINKED]
    # The hook: a commit that changes a spec file elsewhere is still told.
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.git("add", "-A")
    assert _messages(check(git_repo.path, staged=True).warnings) == [LINKED]
    assert _messages(check(git_repo.path, staged=True, cache=False).warnings) == [LINKED]


def test_a_linked_feature_folder_is_a_warning_in_sync_its_no_op_and_status(git_repo: GitRepo, tmp_path: Path) -> None:
    _linked_features(git_repo)
    url = f"sqlite:///{tmp_path / 'specs.db'}"
    first = run_cli("sync", str(git_repo.path), "--database-url", url)
    assert first.returncode == 0, first.stderr
    assert LINKED in first.stderr.splitlines()
    noop = fastpath.attempt(git_repo.path, database_url=url)
    assert isinstance(noop, fastpath.NoopSync), noop  # still a no-op, answered by the fast path
    assert _messages(noop.warnings) == [LINKED]
    again = run_cli("sync", str(git_repo.path), "--database-url", url)
    assert again.returncode == 0 and LINKED in again.stderr.splitlines(), again.stderr
    status = run_cli("status", "--path", str(git_repo.path), "--database-url", url)
    assert status.returncode == 0, status.stderr
    assert LINKED in status.stderr.splitlines()


def test_the_suggested_setting_reads_the_target_and_ends_the_warning(git_repo: GitRepo, tmp_path: Path) -> None:
    _linked_features(git_repo)
    git_repo.write(".tracertm.toml", 'feature_paths = ["shared/features/**/*.feature"]\n')
    git_repo.commit("point at the target")
    assert check(git_repo.path).warnings == []
    url = f"sqlite:///{tmp_path / 'specs.db'}"
    proc = run_cli("sync", str(git_repo.path), "--database-url", url, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["warnings"] == [] and report["counts"]["feature"]["created"] == 1, report


def test_a_link_whose_target_a_glob_already_reads_is_no_warning(git_repo: GitRepo) -> None:
    _linked_features(git_repo)
    git_repo.write(".tracertm.toml", 'feature_paths = ["features/**/*.feature", "shared/features/**/*.feature"]\n')
    git_repo.commit("both")
    assert [d.message for d in check(git_repo.path).warnings if d.path == "features"] == []


def test_a_linked_ancestor_of_the_adr_folder_names_the_adr_setting(git_repo: GitRepo) -> None:
    git_repo.write("site/docs/adr/0001-use-git.md", adr(1, "Use git"))
    os.symlink("site/docs", git_repo.path / "docs")
    git_repo.commit("docs live in the site")
    [warning] = _messages(check(git_repo.path).warnings)
    assert warning.startswith("docs:0:0: warning: a symbolic link to the folder 'site/docs'")
    assert warning.endswith('adr_paths = ["site/docs/adr/**/*.md"]')


def test_a_linked_folder_with_no_spec_files_behind_it_is_no_warning(git_repo: GitRepo) -> None:
    git_repo.write("website/content/index.md", "# Home\n")
    os.symlink("website/content", git_repo.path / "docs")  # no adr folder in it: nothing is missed
    git_repo.commit("docs")
    assert check(git_repo.path).warnings == []


@pytest.mark.parametrize("target", ["/srv/shared/features", "../elsewhere/features"])
def test_a_feature_folder_linked_outside_the_repository_is_a_warning(git_repo: GitRepo, target: str) -> None:
    git_repo.write("README.md", "x\n")
    os.symlink(target, git_repo.path / "features")
    git_repo.commit("features elsewhere")
    [warning] = _messages(check(git_repo.path).warnings)
    assert warning.startswith(f"features:0:0: warning: a symbolic link to {target!r}, ")
    assert "not followed" in warning and "feature_paths" in warning
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.git("add", "-A")
    assert _messages(check(git_repo.path, staged=True).warnings) == [warning]


@pytest.mark.parametrize("content", ["/etc\n", "../../..\n", "docs/../../adr\n"])
def test_an_adr_dir_outside_the_repository_is_a_warning(git_repo: GitRepo, tmp_path: Path, content: str) -> None:
    git_repo.write(".adr-dir", content)
    git_repo.write("etc/0001-not-an-adr.md", "# 1. Not an ADR\n")  # "/etc" is not the repository's etc/
    git_repo.commit("adr-tools")
    folder = content.strip()
    expected = (f".adr-dir:1:0: warning: names {folder!r}, a folder outside the project, so no ADR is read from it; "
                "name a folder below the one .adr-dir is in (e.g. docs/adr), or set adr_paths")
    proc = run_cli("check", str(git_repo.path))
    assert proc.returncode == 0 and expected in proc.stdout.splitlines(), proc.stdout
    assert "0 files checked" in proc.stdout or "0 files checked" in proc.stderr
    git_repo.write("contracts/a.yaml", "id: C-1\n")
    git_repo.git("add", "-A")
    assert expected in _messages(check(git_repo.path, staged=True).warnings)
    url = f"sqlite:///{tmp_path / 'specs.db'}"
    sync = run_cli("sync", str(git_repo.path), "--database-url", url)
    assert expected in sync.stderr.splitlines(), sync.stderr
    status = run_cli("status", "--path", str(git_repo.path), "--database-url", url)
    assert expected in status.stderr.splitlines(), status.stderr


def test_an_adr_dir_inside_the_repository_is_read_and_adr_paths_overrides_it(git_repo: GitRepo) -> None:
    git_repo.write(".adr-dir", "doc/architecture/decisions\n")
    git_repo.write("doc/architecture/decisions/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("adr-tools")
    result = check(git_repo.path)
    assert result.warnings == [] and result.files_checked == 1
    git_repo.write(".adr-dir", "/etc\n")
    git_repo.write(".tracertm.toml", 'adr_paths = ["doc/architecture/decisions/*.md"]\n')
    assert check(git_repo.path).warnings == []  # adr_paths set: .adr-dir is not read at all


def test_a_linked_feature_folder_in_a_plain_folder_is_a_warning(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    (plain / "shared" / "features").mkdir(parents=True)
    (plain / "shared" / "features" / "login.feature").write_text(feature(1, "Login"), encoding="utf-8")
    os.symlink("shared/features", plain / "features")
    assert _messages(check(plain).warnings) == [LINKED]


DEEP = ("features/co:0:0: warning: a symbolic link to the folder 'shared/checkout', which tracertm does not follow: "
        "the files under it are not read as specs; point the setting at the target, e.g. "
        'feature_paths = ["shared/checkout/**/*.feature"]')


def test_a_folder_link_inside_the_feature_folder_is_a_warning_everywhere(git_repo: GitRepo, tmp_path: Path) -> None:
    # features/**/*.feature descends into features/co, but git lists the files behind the link under
    # shared/checkout: they were not read, and nothing said so (only the spec folder itself was looked at).
    git_repo.write("features/home.feature", feature(1, "Home"))
    git_repo.write("shared/checkout/pay.feature", feature(2, "Pay"))
    os.symlink("../shared/checkout", git_repo.path / "features" / "co")
    git_repo.commit("checkout is shared")
    assert _messages(check(git_repo.path).warnings) == [DEEP]
    assert _messages(check(git_repo.path, ref="HEAD").warnings) == [DEEP]
    git_repo.write("features/home.feature", feature(1, "Home again"))
    git_repo.git("add", "-A")
    assert _messages(check(git_repo.path, staged=True).warnings) == [DEEP]
    assert _messages(check(git_repo.path, staged=True, cache=False).warnings) == [DEEP]
    git_repo.commit("home")
    url = f"sqlite:///{tmp_path / 'specs.db'}"
    first = run_cli("sync", str(git_repo.path), "--database-url", url)
    assert first.returncode == 0 and first.stderr.splitlines().count(DEEP) == 1, first.stderr
    noop = fastpath.attempt(git_repo.path, database_url=url)
    assert isinstance(noop, fastpath.NoopSync) and _messages(noop.warnings) == [DEEP], noop
    status = run_cli("status", "--path", str(git_repo.path), "--database-url", url)
    assert DEEP in status.stderr.splitlines(), status.stderr


def test_a_link_inside_the_feature_folder_to_a_file_or_a_read_folder_is_no_warning(git_repo: GitRepo) -> None:
    git_repo.write("features/checkout/pay.feature", feature(1, "Pay"))
    git_repo.write("shared/README.md", "x\n")
    os.symlink("checkout", git_repo.path / "features" / "again")  # its files are read at their own paths
    os.symlink("../shared/README.md", git_repo.path / "features" / "README")  # a file, not a folder
    os.symlink("../shared", git_repo.path / "features" / "shared")  # a folder of no feature
    git_repo.commit("links")
    for kwargs in ({}, {"ref": "HEAD"}):
        assert check(git_repo.path, **kwargs).warnings == []
