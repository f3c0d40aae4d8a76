"""Writes waiting for one of a server process's write places (``api.writes.WriteSlots``: the writes that may wait
for a project's lock holding a connection) take them in the order they came: a place let go goes to the oldest
waiter, never to a write that asked after it — not even to the write that let it go and asks again at once. Before
(a semaphore) the waiter, woken, found the place taken again, went back to the end of the line, and answered 503
when its bound ran out although the place had been free again and again.

Threads of this process, as a server's requests are; every wait is for a condition a thread shows, bounded by
``WAIT_S``, and the holds are a time of the waiting write's own bound, not of the host."""

from __future__ import annotations

import queue
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.pool import QueuePool

from tracertm.api import writes
from tracertm.api.writes import WriteSlots
from tracertm.errors import LockTimeoutError

WAIT_S = 120.0  # an upper bound on waiting for a condition; never a pace
PROJECT = "acme"


class Cycler(threading.Thread):
    """A write at its most eager: it holds a place until told, and on "again" lets it go and asks for one again at
    once (anything else: lets it go and ends). ``order`` gets its name each time it holds one."""

    def __init__(self, slots: WriteSlots, engine: Engine, order: list[str]) -> None:
        super().__init__(daemon=True)
        self.slots, self.engine, self.order = slots, engine, order
        self.commands: queue.Queue[str] = queue.Queue()
        self.holding: queue.Queue[bool] = queue.Queue()

    def run(self) -> None:
        again = True
        while again:
            with self.slots.held(self.engine, PROJECT, WAIT_S):
                self.order.append("cycler")
                self.holding.put(True)
                again = self.commands.get(timeout=WAIT_S) == "again"

    def again(self) -> None:
        self.commands.put("again")
        assert self.holding.get(timeout=WAIT_S)  # (once the waiting write has held the place and let it go)


class Waiter(threading.Thread):
    """A write that asks for a place once, within ``bound`` seconds; ``error``: its ``LockTimeoutError`` (the
    API's 503)."""

    def __init__(self, slots: WriteSlots, engine: Engine, order: list[str], bound: float) -> None:
        super().__init__(daemon=True)
        self.slots, self.engine, self.order, self.bound = slots, engine, order, bound
        self.error: LockTimeoutError | None = None

    def run(self) -> None:
        try:
            with self.slots.held(self.engine, PROJECT, self.bound):
                self.order.append("waiter")
        except LockTimeoutError as exc:
            self.error = exc


def test_a_waiting_write_is_not_overtaken_by_a_write_that_asks_again_at_once(tmp_path: Path) -> None:
    """One place. Another write holds it and asks again the moment it lets it go, each hold a quarter of the waiting
    write's bound (a stall of the host up to three quarters of it is no failure), all of them together longer than
    it: the waiting write gets the place at the first release. Before, it timed out (503)."""
    bound = 4.0
    holds = 6
    # A pool of one connection and one of overflow: one place (``writes.slots``). No connection is opened.
    engine = create_engine(f"sqlite:///{tmp_path / 'unused.db'}", poolclass=QueuePool, pool_size=1, max_overflow=1)
    slots = WriteSlots(engine)
    assert slots.places == 1
    order: list[str] = []
    cycler = Cycler(slots, engine, order)
    waiter = Waiter(slots, engine, order, bound)
    try:
        cycler.start()
        assert cycler.holding.get(timeout=WAIT_S)
        waiter.start()
        for _ in range(holds):
            waiter.join(bound / 4)  # a time of the bound's own, not of the host
            if not waiter.is_alive():
                break  # it wrote, or (before) its bound ran out
            cycler.again()
    finally:
        cycler.commands.put("release")
        cycler.join(WAIT_S)
        waiter.join(WAIT_S)
        engine.dispose()
    assert not cycler.is_alive() and not waiter.is_alive()
    assert waiter.error is None, str(waiter.error)
    assert order.count("waiter") == 1 and order.count("cycler") < holds + 1, order


def test_a_write_out_of_time_leaves_the_line_and_the_place_goes_to_the_next(tmp_path: Path) -> None:
    """The bound stays: a write that waited its bound for a place is a ``LockTimeoutError`` (503), and leaves the
    line, so the place let go next goes to the write behind it, and then is free for anyone."""
    engine = create_engine(f"sqlite:///{tmp_path / 'unused.db'}", poolclass=QueuePool, pool_size=1, max_overflow=1)
    slots = WriteSlots(engine)
    order: list[str] = []
    cycler = Cycler(slots, engine, order)
    early = Waiter(slots, engine, order, 0.05)
    patient = Waiter(slots, engine, order, WAIT_S)
    try:
        cycler.start()
        assert cycler.holding.get(timeout=WAIT_S)
        early.start()
        early.join(WAIT_S)  # its bound ran out while the place was held
        assert early.error is not None and "waited 0.05 s for the write lock" in str(early.error)
        patient.start()
        cycler.commands.put("release")
        cycler.join(WAIT_S)
        patient.join(WAIT_S)
        assert patient.error is None and order == ["cycler", "waiter"]
        with slots.held(engine, PROJECT, 0.0) as left:  # free again: taken without waiting
            assert left == 0.0
    finally:
        cycler.commands.put("release")
        cycler.join(WAIT_S)
        engine.dispose()


def test_a_write_out_of_time_in_its_projects_line_states_its_whole_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A write queued behind its project's earlier write, whose read before the lock took part of the bound
    (``spent``), answers 503 stating the whole bound, as the lock's own wait does: "waited 2 s", not the part left
    after the read ("waited 59.8287 s" of a 60 s bound). The bound cut to 2 s (``WRITE_BOUND_S``)."""
    monkeypatch.setattr(writes, "WRITE_BOUND_S", 2.0)
    engine = create_engine(f"sqlite:///{tmp_path / 'unused.db'}", poolclass=QueuePool, pool_size=1, max_overflow=1)
    slots = WriteSlots(engine)
    request = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(write_slots=slots, engine=engine)))
    cycler = Cycler(slots, engine, [])
    try:
        cycler.start()
        assert cycler.holding.get(timeout=WAIT_S)  # the project's earlier write holds its turn
        with pytest.raises(LockTimeoutError) as caught:
            with writes.write_place(request, PROJECT, spent=0.1712):  # type: ignore[arg-type]
                pass
        assert "waited 2 s for the write lock" in str(caught.value), str(caught.value)
    finally:
        cycler.commands.put("release")
        cycler.join(WAIT_S)
        engine.dispose()
