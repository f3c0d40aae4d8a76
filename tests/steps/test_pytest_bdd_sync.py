"""pytest-bdd's bindings in a sync (``tracertm.steps.pytest_bdd``, ``links.refresh``): after each edit of a test module,
a conftest.py or the pytest configuration, the incremental sync leaves the rows a sync from scratch gives and the
verdicts ``tracertm steps`` gives, and re-matches only the scenarios of the features whose binding changed (or that
a changed definition could concern)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conftest import GitRepo
from test_match_diff import _dump, _engine_derivation_agrees, _difference
from test_pytest_bdd_bindings import FILES
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.steps import links as links_module
from tracertm.steps.project import analyze


def _edit(path: str, old: str, new: str) -> Callable[[GitRepo], None]:
    def apply(repo: GitRepo) -> None:
        text = repo.read(path)
        assert old in text, (path, old)
        repo.write(path, text.replace(old, new, 1))

    return apply


# Each edit is committed and synced on top of the ones before it, with the features whose scenarios it re-matches.
EDITS: list[tuple[str, Callable[[GitRepo], None], set[str]]] = [
    ("test_login defines the apple step: defined there now",
     _edit("tests/test_login.py", '@when("I log in")', '@when("I add an apple")\ndef apple():\n    pass\n\n\n'
           '@when("I log in")'),
     {"features/cart.feature", "features/login.feature"}),  # a new definition: every step it could match
    ("test_both_b binds cart.feature instead of the sub folder",
     _edit("tests/sub/test_both_b.py", 'scenarios("sub")', 'scenarios("cart.feature")'),
     {"features/cart.feature", "features/sub/both.feature"}),
    ("test_cart no longer imports the coupon",
     _edit("tests/test_cart.py", "from steps_common import *\n", ""), {"features/cart.feature"}),
    # Only the modules of tests/sub saw it (test_both_b runs cart.feature now); login.feature is not re-matched.
    ("tests/sub/conftest.py removed", lambda repo: repo.remove("tests/sub/conftest.py"),
     {"features/cart.feature", "features/sub/both.feature"}),
    # Paths now relative to each module's folder: tests/cart.feature... exist nowhere; nothing is bound.
    ("bdd_features_base_dir removed", _edit("pytest.ini", "bdd_features_base_dir = features/\n", ""),
     {"features/cart.feature", "features/login.feature", "features/sub/both.feature"}),
]


def _verdicts(root: Any) -> list[tuple[Any, ...]]:
    """``tracertm steps``' verdicts: (feature, line, Examples row, status, definitions) per executed step."""
    return sorted((r.use.path, r.use.line, r.use.row_line, r.status, tuple(sorted(d.identity for d, _ in r.matches)))
                  for r in analyze(root).results)


def _stored(dump: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The same from a ``_dump`` of the stored rows."""
    steps: dict[tuple[Any, ...], list[str]] = {}
    for path, _scenario, position, definition, line, row_line, _keyword, _text, status, _args in dump["matches"]:
        found = steps.setdefault((path, _scenario, position, line, row_line, status), [])
        if definition is not None:
            found.append(definition)
    return sorted((path, line, row_line, status, tuple(sorted(ds)))
                  for (path, _scenario, _position, line, row_line, status), ds in steps.items())


def test_incremental_bindings_equal_a_sync_from_scratch(git_repo: GitRepo, database_url: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    for path, text in FILES.items():
        git_repo.write(path, text)
    git_repo.commit("pytest-bdd project")
    assert not sync(git_repo.path, database_url=database_url, project="live").errors
    engine = db.make_engine(database_url)
    rematched: list[str] = []
    original = links_module._rematch

    def spy(conn: Any, project_id: Any, targets: list[Any], *args: Any, **kwargs: Any) -> Any:
        from sqlalchemy import select

        from tracertm.models import Feature, Scenario

        rematched.extend(conn.execute(select(Feature.source_path).join(Scenario, Scenario.feature_id == Feature.id)
                                      .where(Scenario.id.in_(targets))).scalars())
        return original(conn, project_id, targets, *args, **kwargs)

    monkeypatch.setattr(links_module, "_rematch", spy)
    try:
        first = _dump(engine, "live")
        assert _stored(first) == _verdicts(git_repo.path)
        assert first["usage"]["tests/sub/test_both_a.py::pay_a"] == 1
        assert first["usage"]["tests/sub/test_both_a.py::receipt"] == 0  # undefined in test_both_b's run
        _engine_derivation_agrees(engine, "live")
        for n, (what, edit, features) in enumerate(EDITS):
            edit(git_repo)
            git_repo.commit(what)
            before = _dump(engine, "live")
            rematched.clear()
            assert not sync(git_repo.path, database_url=database_url, project="live").errors, what
            assert set(rematched) == features, what
            assert sync(git_repo.path, database_url=database_url, project=f"scratch{n}").project == f"scratch{n}"
            live, scratch = _dump(engine, "live"), _dump(engine, f"scratch{n}")
            assert live == scratch, f"after {what}:\n{_difference(live, scratch)}"
            assert live != before, what
            assert _stored(live) == _verdicts(git_repo.path), what
            _engine_derivation_agrees(engine, "live")
    finally:
        engine.dispose()
