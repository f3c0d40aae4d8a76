"""The warnings of a sync that replaces a record by a new one of the same file: its id written in the file changed
(``@FEAT-2`` → ``@FEAT-5``, an ADR's ``id:``, a contract's ``id``). A number written in a file never pairs (README
"Renamed files (moves)"): the old record is deleted, a new one created, and what belongs to the old one's row
stays with it — its suspect links (parked with their reviews: the new record's links start reviewed), its test
results and test links, its approval. Nothing said so: ``status`` showed no suspect link any more and the matrix
``not executed``. One warning per replaced record that leaves any of those behind, naming them.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select

from tracertm.engine.plan import Operation, Plan
from tracertm.errors import Diagnostic

# The kinds whose id a file writes (a scenario's goes with its feature's; a step definition's is its function's).
KINDS = ("adr", "contract", "feature")

__all__ = ["replaced_warnings"]


def replaced_warnings(session: Any, project_id: uuid.UUID, the_plan: Plan) -> list[Diagnostic]:
    """One warning per record ``the_plan`` deletes while it creates (or restores) one of the same kind from the same
    file, when the deleted one leaves suspect links, test results or test links, or an approval behind
    (``left_behind``). Pairs only one for one in a file (a contract file whose several documents all changed their
    ids cannot be told apart); nothing is read when the plan has no such pair."""
    out: list[Diagnostic] = []
    for old, new in _pairs(the_plan.operations):
        assert old.current is not None
        owned = [old.current.id] + [
            op.current.id for op in the_plan.operations
            if op.action == "deleted" and op.kind == "scenario" and op.current is not None
            and op.current.parent_id == old.current.id
        ]
        parts, targets = left_behind(session, project_id, old.kind, old.number, old.current.id, owned)
        if parts:
            out.append(Diagnostic(new.path, 1, 1, _message(old, new, parts, targets), severity="warning"))
    return out


def _pairs(operations: Sequence[Operation]) -> list[tuple[Operation, Operation]]:
    """(deleted, created or restored) operations of one kind from one file, where each is alone in it."""
    gone: dict[tuple[str, str], list[Operation]] = defaultdict(list)
    came: dict[tuple[str, str], list[Operation]] = defaultdict(list)
    for op in operations:
        if op.kind not in KINDS:
            continue
        if op.action == "deleted" and op.current is not None and op.current.source_path == op.path:
            gone[op.kind, op.path].append(op)
        elif op.action in ("created", "restored"):
            came[op.kind, op.path].append(op)
    return [(olds[0], came[key][0]) for key, olds in gone.items() if len(olds) == 1 and len(came.get(key, ())) == 1]


def left_behind(
    session: Any, project_id: uuid.UUID, kind: str, number: str, row_id: uuid.UUID, owned: Iterable[uuid.UUID]
) -> tuple[list[tuple[str, bool]], list[str]]:
    """What the record ``number`` (row ``row_id``; ``owned``: it and its scenarios) keeps when deleted, as phrases
    and whether each is plural (``the 3 suspect links of FEAT-2``, ``its 2 test results``, ``its approval (by
    Ada)``), and the targets of its suspect links."""
    from tracertm import kinds
    from tracertm.models import Link, TestResult
    from tracertm.models.link import suspect

    ids = list(owned)
    parts: list[tuple[str, bool]] = []
    targets = sorted(set(session.execute(select(Link.target_ref).where(
        Link.project_id == project_id, Link.source_id.in_(ids), suspect())).scalars()))
    count = session.execute(select(func.count()).select_from(Link).where(
        Link.project_id == project_id, Link.source_id.in_(ids), suspect())).scalar_one()
    if count:
        parts.append((f"the {_many(count, 'suspect link')} of {number}", count > 1))
    results = session.execute(select(func.count()).select_from(TestResult).where(
        TestResult.scenario_id.in_(ids))).scalar_one()
    tests = 0 if results else session.execute(select(func.count()).select_from(Link).where(
        Link.project_id == project_id, Link.source_id.in_(ids), Link.link_type == "test")).scalar_one()
    if results or tests:
        many = results or tests
        parts.append((f"its {_many(many, 'test result' if results else 'test link')}", many > 1))
    table = kinds.table(kind)
    approved = session.execute(select(table.c.approved_by).where(table.c.id == row_id)).scalar_one_or_none()
    if approved:
        parts.append((f"its approval (by {approved})", False))
    return parts, targets


def _message(old: Operation, new: Operation, parts: list[tuple[str, bool]], targets: list[str]) -> str:
    """``FEAT-2 is now FEAT-5 (a new id is a new record): the 3 suspect links of FEAT-2 … stay with FEAT-2
    (deleted); …``: what stays, and the two ways on (the id written back, or a check of the new record)."""
    phrases = [p for p, _ in parts]
    what = phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]
    verb = "stay" if len(parts) > 1 or parts[0][1] else "stays"
    check = f", or check {new.number} against {', '.join(targets)} (its links start reviewed)" if targets else ""
    return (f"{old.number} is now {new.number} (a new id is a new record): {what} {verb} with {old.number} "
            f"(deleted); write the id {old.number} back in the file to keep {'them' if verb == 'stay' else 'it'}"
            f"{check}")


def _many(count: int, noun: str) -> str:
    """``3 suspect links``, ``1 test result``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"
