"""A tracked spec file the user cannot reach — its folder is not readable (``chmod 000 features/risk``) — is an
error for that file, naming it and what to do, and its records stay. Before, git listed it as deleted (its ``lstat``
failed), and ``sync`` deleted the feature and its scenarios, exit 0, while ``check`` passed without a word. An
unreadable file itself, and a symbolic link loop, say what to do too.

Run as root, the commands run without the capabilities that let root read anything (``setpriv``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from conftest import GitRepo, without_read_override
from tracertm import db

FEATURE = "@FEAT-1\nFeature: Risk\n\n  @SC-1\n  Scenario: screened\n    Given a payment\n"
OTHER = "@FEAT-2\nFeature: Other\n\n  @SC-2\n  Scenario: other\n    Given a thing\n"


def _run(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*without_read_override(), sys.executable, "-m", "tracertm", *args], cwd=repo,
                          capture_output=True, text=True, timeout=120, check=False)


def _live(url: str) -> list[str]:
    engine = create_engine(db.parse_url(url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT feature_number FROM features WHERE deleted_at IS NULL"))
            return sorted(r[0] for r in rows)
    finally:
        engine.dispose()


@pytest.mark.parametrize("blocked", ["folder", "file"])
def test_an_unreachable_tracked_spec_is_an_error_and_its_records_stay(
    git_repo: GitRepo, tmp_path: Path, blocked: str
) -> None:
    git_repo.write("features/risk/screening.feature", FEATURE)
    git_repo.write("features/other.feature", OTHER)
    git_repo.commit("seed")
    url = f"sqlite:///{tmp_path / 'specs.db'}"
    first = _run(git_repo.path, "sync", "--database-url", url)
    assert first.returncode == 0, first.stderr
    assert _live(url) == ["FEAT-1", "FEAT-2"]
    target = git_repo.path / ("features/risk" if blocked == "folder" else "features/risk/screening.feature")
    target.chmod(0)
    try:
        checked = _run(git_repo.path, "check")
        synced = _run(git_repo.path, "sync", "--database-url", url)
    finally:
        target.chmod(0o755 if blocked == "folder" else 0o644)
    for done in (checked, synced):
        assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
        lines = [line for line in (done.stdout + done.stderr).splitlines()
                 if line.startswith("features/risk/screening.feature:")]
        assert len(lines) == 1, done.stdout + done.stderr
        assert "Permission denied" in lines[0] and "read access" in lines[0], lines
        assert "Traceback" not in done.stderr
    assert _live(url) == ["FEAT-1", "FEAT-2"]


def test_a_symlink_loop_named_like_a_spec_says_what_to_do(git_repo: GitRepo) -> None:
    git_repo.write("features/other.feature", OTHER)
    (git_repo.path / "features/a.feature").symlink_to("b.feature")
    (git_repo.path / "features/b.feature").symlink_to("a.feature")
    git_repo.commit("seed")
    done = _run(git_repo.path, "check")
    assert done.returncode == 1, done.stderr
    lines = sorted(line for line in (done.stdout + done.stderr).splitlines() if line.startswith("features/"))
    assert lines == [f"features/{n}.feature:0:0: symbolic link loop: '{m}.feature' leads back to "
                     f"'features/{n}.feature'; fix or remove the link" for n, m in ("ab", "ba")], lines
