"""Repository layouts found in public repositories (issue 13): folder-per-ADR collections named by an explicit
``adr_paths`` glob, configured globs that match nothing, features under a non-root folder, placeholder feature
files, ambiguous dates settled by ``date_format`` — through real git repositories, ``check``, ``sync`` and
``status`` on a real database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from conftest import GitRepo
from specs import adr, feature
from tracertm.checker import check
from tracertm.cli import main
from tracertm.config import load_settings
from tracertm.engine.sync import sync
from tracertm.errors import ConfigError

FIXTURES = Path(__file__).parent / "parsers" / "fixtures" / "adr-fidelity"


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _rows(database_url: str, table: str, *columns: str) -> list[tuple[object, ...]]:
    from tracertm.models import Base

    engine = create_engine(database_url)
    try:
        t = Base.metadata.tables[table]
        with engine.connect() as conn:
            query = select(*(t.c[c] for c in columns)).where(t.c.deleted_at.is_(None)).order_by(t.c[columns[0]])
            return [tuple(row) for row in conn.execute(query)]
    finally:
        engine.dispose()


# ------------------------------------------------------------------------------------------------ folder per ADR
def _folder_layout(repo: GitRepo, extra_glob: str = "") -> None:
    repo.write(
        ".tracertm.toml",
        'adr_paths = ["decisions/*/README.md", "locales/en/examples/*/index.md"'
        + (f', "{extra_glob}"' if extra_glob else "")
        + "]\n",
    )
    repo.write(
        "decisions/0007-use-kafka/README.md",
        (FIXTURES / "decisions" / "0007-use-kafka" / "README.md").read_text("utf-8"),
    )
    repo.write(
        "decisions/0008-use-avro/README.md",
        "# Use Avro\n\n* Status: proposed\n\nBuilds on [Kafka](../0007-use-kafka/README.md).\n",
    )
    repo.write("locales/en/examples/basic/index.md", "# Basic example\n\n- Status: accepted\n")
    repo.write("docs/adr/README.md", "# Decisions\n\nThe index of the default folder, not an ADR.\n")
    repo.commit("folder-per-ADR layout")


def test_explicit_globs_are_not_filtered_by_the_default_excludes(git_repo: GitRepo) -> None:
    _folder_layout(git_repo)
    settings = load_settings(git_repo.path)
    assert settings.kind_of("decisions/0007-use-kafka/README.md") == "adr"
    assert settings.kind_of("locales/en/examples/basic/index.md") == "adr"
    assert settings.kind_of("docs/adr/README.md") is None  # default globs keep the default excludes


def test_the_users_own_exclude_still_wins(git_repo: GitRepo) -> None:
    git_repo.write(".tracertm.toml", 'adr_paths = ["decisions/*/README.md"]\nexclude = ["decisions/0001-*/**"]\n')
    settings = load_settings(git_repo.path)
    assert settings.kind_of("decisions/0001-draft/README.md") is None
    assert settings.kind_of("decisions/0002-kept/README.md") == "adr"


def test_folder_per_adr_check_and_sync(
    git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _folder_layout(git_repo)
    result = check(git_repo.path)
    assert result.errors == [] and result.warnings == [] and result.files_checked == 3
    synced = sync(git_repo.path, database_url=database_url)
    assert synced.errors == [] and synced.warnings == []
    assert _rows(database_url, "adrs", "adr_number", "title", "status") == [
        ("ADR-0007", "Use Kafka for events", "accepted"),
        ("ADR-0008", "Use Avro", "proposed"),
        ("basic", "Basic example", "accepted"),
    ]
    code, out, err = _cli(capsys, "status", str(git_repo.path), "--database-url", database_url)
    assert code == 0 and err == "" and "adrs" in out.casefold()


# --------------------------------------------------------------------------------------------- globs matching nothing
def test_a_configured_glob_that_matches_nothing_is_a_warning_in_check_sync_and_status(
    git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _folder_layout(git_repo, extra_glob="architecture/decisions/*.md")
    expected = (
        ".tracertm.toml:1:73: warning: adr_paths matched nothing: no file matches 'architecture/decisions/*.md'; "
        "fix the glob or remove it"
    )

    code, out, err = _cli(capsys, "check", str(git_repo.path))
    assert code == 0, "a warning, not an error"
    assert expected in out + err
    code, out, _ = _cli(capsys, "check", str(git_repo.path), "--strict")
    assert code == 1, "--strict fails on it like on any warning"

    code, out, err = _cli(capsys, "sync", str(git_repo.path), "--database-url", database_url)
    assert code == 0 and expected in err.splitlines()
    code, out, _ = _cli(capsys, "sync", str(git_repo.path), "--database-url", database_url, "--format", "json")
    warnings = json.loads(out)["warnings"]
    assert [(w["path"], w["line"], w["severity"]) for w in warnings] == [(".tracertm.toml", 1, "warning")]

    code, out, err = _cli(capsys, "status", str(git_repo.path), "--database-url", database_url)
    assert code == 0 and expected in err.splitlines()
    code, out, _ = _cli(capsys, "status", str(git_repo.path), "--database-url", database_url, "--format", "json")
    assert [w["message"] for w in json.loads(out)["warnings"]] == [expected.split(": warning: ", 1)[1]]


def test_check_staged_warns_about_a_glob_that_matches_nothing_in_the_index(
    git_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """The hook mode warns like check, sync and status: on a commit that changes spec files, on one that changes
    none, and judged by the index — a matching file only in the work tree does not count, a staged one does."""
    _folder_layout(git_repo, extra_glob="architecture/decisions/*.md")
    expected = "adr_paths matched nothing: no file matches 'architecture/decisions/*.md'; fix the glob or remove it"
    git_repo.write("decisions/0008-use-avro/README.md", "# Use Avro\n\n* Status: accepted\n")
    git_repo.git("add", "-A")
    result = check(git_repo.path, staged=True)
    assert result.errors == [] and result.files_parsed == 1, "hook mode: only the changed file is parsed"
    assert [(w.path, w.line, w.message) for w in result.warnings] == [(".tracertm.toml", 1, expected)]
    git_repo.commit("accept avro")

    git_repo.write("src/app.py", "print('no spec file changes')\n")
    git_repo.write("architecture/decisions/0009-use-zstd.md", "# 9. Use zstd\n\n## Status\n\nAccepted\n")
    git_repo.git("add", "src/app.py")
    code, out, err = _cli(capsys, "check", str(git_repo.path), "--staged")
    assert code == 0 and f".tracertm.toml:1:73: warning: {expected}" in out + err, "the ADR is not staged yet"
    assert _cli(capsys, "check", str(git_repo.path), "--staged", "--strict")[0] == 1

    git_repo.git("add", "-A")
    result = check(git_repo.path, staged=True)
    assert result.errors == [] and result.warnings == [], "staged: the glob matches a file of the next commit"


def test_default_globs_that_match_nothing_are_not_warned_about(git_repo: GitRepo) -> None:
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit()
    assert check(git_repo.path).warnings == []  # no contracts/ or features/ folder: nothing to say


# ------------------------------------------------------------------------------------------------ features
def test_feature_identity_under_a_non_root_glob(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("pyproject.toml", '[tool.tracertm]\nfeature_paths = ["doc/features/**/*.feature"]\n')
    body = feature(1, "Commit").replace("@FEAT-1\n", "")
    git_repo.write("doc/features/commit.feature", body)
    git_repo.write("doc/features/remote/push.feature", body.replace("Commit", "Push"))
    git_repo.commit()
    assert check(git_repo.path).ok
    synced = sync(git_repo.path, database_url=database_url)
    assert synced.errors == []
    assert _rows(database_url, "features", "feature_number", "name") == [
        ("commit", "Commit"),
        ("remote/push", "Push"),
    ]
    # The hook's sketches agree with the parser: a copy of a feature is a duplicate under the same identity.
    git_repo.write("doc/features/copy/commit.feature", body)
    git_repo.write("doc/features/commit2.feature", "@FEAT-9\n" + body)
    git_repo.git("add", "-A")
    assert check(git_repo.path, staged=True).errors == []


def test_empty_and_comment_only_feature_files_never_fail(
    git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    git_repo.write("features/login.feature", feature(1, "Login"))
    git_repo.write("features/empty.feature", "")
    git_repo.write("features/todo.feature", "# language: en\n# TODO: write the checkout scenarios\n")
    git_repo.commit()
    code, out, err = _cli(capsys, "check", str(git_repo.path), "--strict")
    assert code == 0, out + err
    synced = sync(git_repo.path, database_url=database_url)
    assert synced.errors == [] and synced.warnings == []
    assert _rows(database_url, "features", "feature_number") == [("FEAT-1",)]
    # A feature emptied later is gone, like a deleted one (its file is still there, holding nothing).
    git_repo.write("features/login.feature", "# moved to login2\n")
    git_repo.commit()
    assert sync(git_repo.path, database_url=database_url).errors == []
    assert _rows(database_url, "features", "feature_number") == []


# ------------------------------------------------------------------------------------------------ dates
def test_date_format_configuration(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("docs/adr/0001-x.md", "# 1. X\n\nDate: 09/04/2018\n\n## Status\n\nAccepted\n")
    git_repo.commit()
    [warning] = check(git_repo.path).warnings
    assert (warning.path, warning.line) == ("docs/adr/0001-x.md", 3)
    assert warning.message.startswith("ambiguous date '09/04/2018'")

    git_repo.write(".tracertm.toml", 'date_format = "DD/MM/YYYY"\n')
    git_repo.commit()
    assert load_settings(git_repo.path).parser.date_format == "DD/MM/YYYY"
    assert check(git_repo.path).warnings == []
    assert sync(git_repo.path, database_url=database_url).errors == []
    import datetime as dt

    assert _rows(database_url, "adrs", "adr_number", "date") == [("ADR-0001", dt.date(2018, 4, 9))]


def test_date_format_must_be_a_known_order(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.write(".tracertm.toml", 'date_format = "%d/%m/%Y"\n')
    with pytest.raises(ConfigError, match="date_format must be one of 'DD/MM/YYYY', 'MM/DD/YYYY'"):
        load_settings(git_repo.path)
    code, _, err = _cli(capsys, "check", str(git_repo.path))
    assert code == 2 and "date_format" in err and "Traceback" not in err


def test_the_warning_names_the_line_of_the_glob_in_pyproject(git_repo: GitRepo) -> None:
    git_repo.write(
        "pyproject.toml",
        '[project]\nname = "x"\n\n[tool.tracertm]\nadr_paths = [\n  "docs/adr/*.md",\n  "rfcs/*/README.md",\n]\n',
    )
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit()
    [warning] = check(git_repo.path).warnings
    assert (warning.path, warning.line, warning.severity) == ("pyproject.toml", 7, "warning")
    assert warning.message.startswith("adr_paths matched nothing: no file matches 'rfcs/*/README.md'")


def test_hook_mode_sketches_follow_folder_identities(git_repo: GitRepo) -> None:
    _folder_layout(git_repo)
    # A second folder claiming number 7, staged: the hook names both (the other one only sketched, then confirmed).
    git_repo.write("decisions/0007-use-pulsar/README.md", "# Use Pulsar\n\n* Status: proposed\n")
    git_repo.git("add", "-A")
    errors = check(git_repo.path, staged=True).errors
    assert [(e.path, e.message) for e in errors] == [
        (
            "decisions/0007-use-pulsar/README.md",
            "adr ADR-0007 is already defined in decisions/0007-use-kafka/README.md; give one of them another id",
        )
    ]
