"""The supersede chain of the ADR page (pure: a stand-in repository answers ``find_by_number``)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any


def _adr(number: str, supersedes: str | None = None, superseded_by: str | None = None) -> Any:
    return SimpleNamespace(id=number, adr_number=number, title=f"title {number}", status="accepted",
                           supersedes=supersedes, superseded_by=superseded_by, deleted_at=None)


class _Repo:
    def __init__(self, *rows: Any) -> None:
        self.rows = {r.adr_number: r for r in rows}

    def find_by_number(self, number: str, project: Any) -> list[Any]:
        return [self.rows[number]] if number in self.rows else []


def test_supersede_chain_follows_both_ways_and_stops_at_cycles_and_missing_adrs() -> None:
    from tracertm.web.pages import supersede_chain

    one, two, three = _adr("ADR-1", superseded_by="ADR-2"), _adr("ADR-2", "ADR-1", "ADR-3"), _adr("ADR-3", "ADR-2")
    repo = _Repo(one, two, three)
    chain = supersede_chain(repo, None, two)  # type: ignore[arg-type]
    assert [(c.number, c.current) for c in chain] == [("ADR-1", False), ("ADR-2", True), ("ADR-3", False)]
    assert supersede_chain(_Repo(_adr("ADR-5")), None, _adr("ADR-5")) == []  # type: ignore[arg-type]
    a, b = _adr("ADR-7", "ADR-8", "ADR-8"), _adr("ADR-8", "ADR-7", "ADR-7")  # a cycle ends, it does not loop
    assert [c.number for c in supersede_chain(_Repo(a, b), None, a)] == ["ADR-8", "ADR-7"]  # type: ignore[arg-type]
    gone = supersede_chain(_Repo(), None, _adr("ADR-9", superseded_by="ADR-10"))  # type: ignore[arg-type]
    assert [(c.number, c.title) for c in gone] == [("ADR-9", "title ADR-9"), ("ADR-10", None)]


def test_supersede_chain_follows_every_adr_named_in_the_metadata() -> None:
    """``adr new -s 2 -s 3``: ADR-4 replaces two, its column holds the first, its metadata both — the chain missed
    ADR-3. ADR-2 is replaced by ADR-4 and ADR-5 (each step in the order written, nearest first)."""
    from tracertm.web.pages import supersede_chain

    one = _adr("ADR-1", superseded_by="ADR-2")
    two = _adr("ADR-2", "ADR-1", "ADR-4")
    two.metadata = {"superseded_by": ["ADR-4", "ADR-5"]}
    three = _adr("ADR-3", superseded_by="ADR-4")
    four = _adr("ADR-4", "ADR-2")
    four.metadata = {"supersedes": ["ADR-2", "ADR-3"]}
    repo = _Repo(one, two, three, four, _adr("ADR-5", "ADR-2"))
    assert [(c.number, c.current) for c in supersede_chain(repo, None, four)] == [  # type: ignore[arg-type]
        ("ADR-1", False), ("ADR-2", False), ("ADR-3", False), ("ADR-4", True)]
    assert [c.number for c in supersede_chain(repo, None, two)] == [  # type: ignore[arg-type]
        "ADR-1", "ADR-2", "ADR-4", "ADR-5"]
