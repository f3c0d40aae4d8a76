"""Test cases stored under an older form of their feature file's path.

A Cucumber test case's external id starts with its feature file's path. Imports before this one may have stored it
in another form of that path: the runner's own (``file:features/a.feature``, ``classpath:features/a.feature``, an
absolute path of some CI machine), or the plain path before the project knew the file (a report imported before the
sync that created the feature). Such a test case is *matched*, not migrated: a result whose id is not stored goes to
the stored test case whose id, its path read as the project's (``uris.FeaturePaths.resolve``), is that id. Its row,
its id and its results stay as they are (the database owns them; nothing is renamed, so nothing a revision or
another tool recorded under that id goes stale), and no second test case is made for the same test. A test case
already stored under the project's path wins over older forms of it; of several older forms, a live one over a
deleted one, then the oldest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tracertm.results.report import CaseResult, external_id
from tracertm.results.rows import query

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from tracertm.results.uris import FeaturePaths

__all__ = ["match_stored"]


def match_stored(
    connection: Connection, project: str, cases: list[CaseResult], paths: FeaturePaths
) -> list[CaseResult]:
    """``cases`` (external ids in the project's path form), each whose id is not stored but an older form of it is
    given that stored id. ``project``: the project's id in the driver's form (``rows.IdForm``)."""
    if not cases or not paths.paths:
        return cases
    # Only ids with a feature file's path in them can be an older form of one (not JUnit's classname::name).
    rows = query(connection, "SELECT test_case_number, deleted_at IS NOT NULL, created_at FROM test_cases "
                             "WHERE project_id = ? AND test_case_number LIKE ?", (project, "%.feature%::%"))
    stored = {number for number, _deleted, _created in rows}
    best: dict[str, tuple[bool, str, str]] = {}  # the project's form of an id → (deleted, created, stored id)
    for number, deleted, created in rows:
        path, separator, local = number.partition("::")
        if not separator:
            continue
        own = paths.resolve(path)
        if own == path:
            continue  # already the project's form (or no known file): matched by id as it is
        key = external_id(own, local)  # an id clipped for the column (``~<hash>``) gives no key that is asked for
        rank = (bool(deleted), str(created), number)
        if key not in best or rank < best[key]:
            best[key] = rank
    if not best:
        return cases
    out = []
    for case in cases:
        older = best.get(case.external_id)
        if older is not None and case.external_id not in stored:
            case = _with_id(case, older[2])
        out.append(case)
    return out


def _with_id(case: CaseResult, ident: str) -> CaseResult:
    from dataclasses import replace

    return replace(case, external_id=ident)
