"""Small spec-file builders shared by the tests (realistic, minimal documents of each kind)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine


def adr(number: int, title: str, status: str = "Accepted", decision: str = "We will do it.", extra: str = "") -> str:
    return (
        f"# {number}. {title}\n\nDate: 2024-01-{number:02d}\n\n## Status\n\n{status}\n{extra}\n"
        f"## Context\n\nWe need to decide about {title.lower()}.\n\n## Decision\n\n{decision}\n\n"
        "## Consequences\n\nSome.\n"
    )


def contract(number: int, title: str, states: tuple[str, ...] = ("pending", "paid")) -> str:
    transitions = "".join(
        f"  - {{from: {a}, to: {b}, trigger: go_{b}}}\n" for a, b in zip(states, states[1:])
    )
    return (
        f"id: CTR-{number:04d}\ntitle: {title}\ntype: service\nstatus: approved\n"
        f"states: [{', '.join(states)}]\ntransitions:\n{transitions}"
    )


def feature(number: int, name: str, scenarios: dict[str, list[str]] | None = None) -> str:
    scenarios = scenarios or {
        "first": ["Given a thing", "When I act", "Then it works"],
        "second": ["Given another thing", "When I act again", "Then it still works"],
    }
    body = "".join(
        f"\n  @SC-{i + 1}\n  Scenario: {title}\n" + "".join(f"    {step}\n" for step in steps)
        for i, (title, steps) in enumerate(scenarios.items())
    )
    return f"@FEAT-{number}\nFeature: {name}\n  As a user\n  I want {name.lower()}\n  So that life is good\n{body}"


SPEC_TABLES = ("adrs", "contracts", "features", "scenarios")
# What ``dump`` reads unless told otherwise.
DUMPED = (*SPEC_TABLES, "spec_revisions", "source_files")
_VOLATILE = {"id", "project_id", "feature_id", "created_at", "updated_at", "sync_run_id", "seq"}


def dump(
    engine: Engine, *, volatile: bool = False, tables: tuple[str, ...] = DUMPED
) -> dict[str, list[dict[str, Any]]]:
    """Every row of ``tables`` (the spec tables, revisions and file index), sorted, as plain dicts. ``volatile=True``
    keeps ids and timestamps (to prove rows were not touched at all)."""
    from tracertm.models import Base

    out: dict[str, list[dict[str, Any]]] = {}
    with engine.connect() as conn:
        for name in tables:
            table = Base.metadata.tables[name]
            rows = []
            for row in conn.execute(select(table)).mappings():
                item = {k: v for k, v in row.items() if volatile or (k not in _VOLATILE and k != "deleted_at")}
                if not volatile and "deleted_at" in row:
                    item["deleted"] = row["deleted_at"] is not None
                rows.append(item)
            out[name] = sorted(rows, key=repr)
    return out


def versions(engine: Engine, table: str, number_column: str) -> dict[str, int]:
    from tracertm.models import Base

    t = Base.metadata.tables[table]
    with engine.connect() as conn:
        return {r[0]: r[1] for r in conn.execute(select(t.c[number_column], t.c.version))}


def revisions(engine: Engine) -> list[tuple[str, str, str, int]]:
    from tracertm.models import SpecRevision

    t = SpecRevision.__table__
    with engine.connect() as conn:
        rows = conn.execute(select(t.c.entity_type, t.c.number, t.c.change, t.c.version)).all()
    return sorted((r[0], r[1], r[2], r[3]) for r in rows)
