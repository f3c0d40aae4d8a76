"""A repository whose project name is taken by another repository's project is refused with one line that says
what to do — in the terms of the verb that met it: ``sync`` and ``backfill`` take ``--project``; ``hook sync``
(what the post-commit hooks run) has no such option, so its line named one it could not take. It names the
configuration's ``project`` key instead (``watch``, which has no ``--project`` either:
``test_watch_permanent_errors``)."""

from __future__ import annotations

import pickle
from pathlib import Path

from conftest import init_repo, run_cli
from specs import adr


def _clash(tmp_path: Path, database_url: str) -> Path:
    """A repository folder ``x`` whose project name (its folder's) is held by an unrelated repository's project."""
    first = init_repo(tmp_path / "elsewhere" / "x")
    first.write("docs/adr/0001-first.md", adr(1, "First"))
    first.commit("first")
    assert run_cli("sync", str(first.path), "--database-url", database_url).returncode == 0
    clash = init_repo(tmp_path / "here" / "x")
    clash.write("docs/adr/0001-other.md", adr(1, "Other"))
    clash.commit("unrelated")
    return clash.path


def test_each_verb_names_what_it_takes(tmp_path: Path, database_url: str) -> None:
    clash = _clash(tmp_path, database_url)
    for verb in ("sync", "backfill"):
        refused = run_cli(verb, str(clash), "--database-url", database_url)
        assert refused.returncode == 2, refused.stderr
        (line,) = refused.stderr.splitlines()
        assert "belongs to another repository" in line and "pass --project NAME" in line, line

    hook = run_cli("hook", "sync", str(clash), "--database-url", database_url)
    assert hook.returncode == 0, hook.stderr  # (a hook never fails git)
    (line,) = hook.stderr.splitlines()
    assert line.startswith("tracertm: hook sync skipped: project 'x' in this database belongs to another"), line
    assert line.endswith('; set project = "NAME" in .tracertm.toml (or in [tool.tracertm] of pyproject.toml) to '
                         "sync this repository as a project of its own"), line
    assert "--project" not in line

    # Named so in its configuration, it syncs as a project of its own: the hint is what mends it.
    (clash / ".tracertm.toml").write_text('project = "x-here"\n')
    assert run_cli("hook", "sync", str(clash), "--database-url", database_url).stderr == ""
    assert run_cli("status", "--project", "x-here", "--database-url", database_url).returncode == 0


def test_the_error_keeps_its_hint_across_processes() -> None:
    """Pickled (a worker's error reaches its parent so), the error is the same one line, its hint once."""
    from tracertm.engine.identity import CONFIG_HINT, ProjectMismatchError

    error = ProjectMismatchError("project 'x' belongs elsewhere").hinted(CONFIG_HINT)
    again = pickle.loads(pickle.dumps(error))
    assert str(again) == str(error) and str(error).count("set project") == 1
