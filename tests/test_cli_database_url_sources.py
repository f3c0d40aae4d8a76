"""``search``, ``token create|list|revoke`` and ``db upgrade|current`` pick the database like every other verb:
``--database-url``, else ``$TRACERTM_DATABASE_URL``, else ``database_url`` in the repository's configuration, else
the default file (README, "PostgreSQL"). They used to skip the configuration: a token created in the repository was
unknown to the ``serve`` started there."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import GitRepo
from specs import adr
from tracertm import db
from tracertm.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def configured(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    """A repository whose ``.tracertm.toml`` names ``specs.db`` (relative: next to the file), synced, as the current
    folder; returns the database file."""
    git_repo.write("docs/adr/0001-ledger.md", adr(1, "Keep a ledger", decision="We will keep a double-entry ledger."))
    git_repo.write(".tracertm.toml", 'database_url = "sqlite:///specs.db"\n')
    git_repo.commit("seed")
    monkeypatch.chdir(git_repo.path)
    code, _, err = run(capsys, "sync")
    assert code == 0, err
    assert (git_repo.path / "specs.db").is_file()
    return git_repo.path / "specs.db"


def test_search_reads_the_configured_database(configured: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "search", "ledger", "--format", "json")
    assert code == 0, err
    assert "ADR-0001" in out
    assert not db.default_database_path().exists()


def test_db_current_and_upgrade_use_the_configured_database(
    configured: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "db", "current")
    assert code == 0, err
    assert f"database: sqlite:///{configured}" in out and f"revision: {db.SCHEMA_HEAD} (head)" in out
    code, out, err = run(capsys, "db", "upgrade")
    assert code == 0, err
    assert str(configured) in out
    assert not db.default_database_path().exists()


def test_token_made_in_the_repository_is_the_one_serve_knows(
    configured: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tracertm import tokens

    code, out, err = run(capsys, "token", "create", "--scope", "write", "--label", "dash")
    assert code == 0, err
    secret = out.strip().splitlines()[-1]
    engine = db.open_engine(f"sqlite:///{configured}")
    try:
        with db.session(engine) as session:
            assert [t.label for t in tokens.list_tokens(session)] == ["dash"]
            assert tokens.verify(session, secret) is not None
    finally:
        engine.dispose()
    code, out, err = run(capsys, "token", "list")
    assert code == 0 and "dash" in out, err
    prefix = out.splitlines()[-1].split("…")[0].split()[-1]
    code, out, err = run(capsys, "token", "revoke", prefix)
    assert code == 0 and out.startswith("revoked"), err
    assert not db.default_database_path().exists()


def test_option_and_environment_still_come_before_the_configuration(
    configured: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other.db"
    code, out, err = run(capsys, "db", "upgrade", "--database-url", f"sqlite:///{other}")
    assert code == 0 and str(other) in out, err
    env = tmp_path / "env.db"
    monkeypatch.setenv("TRACERTM_DATABASE_URL", f"sqlite:///{env}")
    code, out, err = run(capsys, "token", "create", "--label", "env")
    assert code == 0, err
    assert env.is_file()
    code, out, err = run(capsys, "db", "current")
    assert f"database: sqlite:///{env}" in out


def test_outside_a_repository_the_default_database_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "db", "current")
    assert code == 0, err
    assert f"database: {db.default_database_path()} (no file" in out
    code, out, err = run(capsys, "token", "create", "--label", "home")
    assert code == 0, err
    assert db.default_database_path().is_file()
