"""``results import`` of a report path the system will not read says what to do, in one line: a symbolic link loop
(fix or remove the link), a file this user may not read (give read access). It said only ``cannot read (Too many
levels of symbolic links)`` / ``cannot read (Permission denied)``.

Run as root, the permission case runs without the capabilities that let root read anything (``setpriv``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import GitRepo, without_read_override
from tracertm.cli import main

REPORT = '<testsuite name="s"><testcase classname="c" name="n"/></testsuite>\n'


def _seed(git_repo: GitRepo, tmp_path: Path) -> str:
    git_repo.write("features/a.feature", "@FEAT-1\nFeature: A\n\n  @SC-1\n  Scenario: s\n    Given x\n")
    git_repo.commit("seed")
    url = f"sqlite:///{tmp_path / 'specs.db'}"
    assert main(["sync", str(git_repo.path), "--database-url", url]) == 0
    return url


def test_a_symlink_loop_is_one_line_saying_what_to_do(git_repo: GitRepo, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    url = _seed(git_repo, tmp_path)
    monkeypatch.chdir(git_repo.path)
    (tmp_path / "a.xml").symlink_to("b.xml")
    (tmp_path / "b.xml").symlink_to("a.xml")
    capsys.readouterr()
    code = main(["results", "import", str(tmp_path / "a.xml"), "--database-url", url])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err, err
    assert err.endswith("a symbolic link loop; fix or remove the link"), err


def test_an_unreadable_report_is_one_line_saying_what_to_do(git_repo: GitRepo, tmp_path: Path) -> None:
    url = _seed(git_repo, tmp_path)
    report = tmp_path / "report.xml"
    report.write_text(REPORT)
    report.chmod(0)
    argv = [sys.executable, "-m", "tracertm", "results", "import", str(report), "--database-url", url]
    done = subprocess.run([*without_read_override(), *argv], cwd=git_repo.path, capture_output=True, text=True,
                          timeout=120, check=False)
    err = done.stderr.strip()
    assert done.returncode == 2 and "\n" not in err, (done.returncode, err)
    assert "Permission denied" in err and err.endswith("give this user read access to it"), err
