"""A project name with a control character (a line break, an escape, a bidirectional override) is refused where it
is chosen — ``--project``, ``project =`` in the configuration, the folder's name — in one line: the name stands in
URLs, page links and log lines, where a line break split it (the web view linked such a project to 404s)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import GitRepo
from tracertm.cli import main


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_a_project_option_with_a_line_break_is_refused(
    git_repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    git_repo.write("contracts/a.yaml", "id: C-1\ntitle: A\n")
    git_repo.commit()
    url = f"sqlite:///{tmp_path / 'p.db'}"
    for name, shown in (("crlf\r\nX-Evil: 1", "\\r, \\n"), ("x\u202egnp.exe", "U+202E")):
        assert main(["sync", str(git_repo.path), "--project", name, "--database-url", url]) == 2
        line = _one_line(capsys)
        assert line.startswith("tracertm: error: --project: the project name ") and f"({shown})" in line, line
        assert "\n" not in line and "\r" not in line
    assert main(["sync", str(git_repo.path), "--project", "fine/name", "--database-url", url]) == 0


def test_a_configured_project_with_a_control_character_names_the_line(
    git_repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    git_repo.write(".tracertm.toml", '# specs\nproject = "a\\u001bb"\n')
    git_repo.write("contracts/a.yaml", "id: C-1\ntitle: A\n")
    git_repo.commit()
    assert main(["sync", str(git_repo.path), "--database-url", f"sqlite:///{tmp_path / 'c.db'}"]) == 2
    line = _one_line(capsys)
    assert ".tracertm.toml:2: project = 'a\\x1bb' holds a control character (\\x1b)" in line, line


def test_a_folder_name_with_a_line_break_asks_for_a_project_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "two\nlines"
    (folder / "contracts").mkdir(parents=True)
    (folder / "contracts" / "a.yaml").write_text("id: C-1\ntitle: A\n", encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'f.db'}"
    assert main(["sync", str(folder), "--database-url", url]) == 2
    line = _one_line(capsys)
    assert "the folder name of" in line
    assert 'give a name without one with --project NAME (watch, hook sync: project = "NAME"' in line, line
    assert main(["sync", str(folder), "--project", "two-lines", "--database-url", url]) == 0
