"""The debouncer, driven by a fake clock: bursts become one batch, a ceiling bounds the wait while changes keep
coming, failed batches come back merged and not before their retry time."""

from __future__ import annotations

import threading

import pytest

from tracertm.watcher.debounce import Debouncer


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_burst_becomes_one_batch_after_the_quiet_period(clock: FakeClock) -> None:
    d = Debouncer(quiet=0.2, ceiling=2.0, clock=clock)
    for i in range(1000):
        d.add("repo", [f"docs/adr/{i:04d}.md"])
        clock.advance(0.0005)
    assert d.pop_due() == []
    clock.advance(0.19)
    assert d.pop_due() == []
    clock.advance(0.02)
    (batch,) = d.pop_due()
    assert batch.key == "repo" and len(batch.paths) == 1000 and batch.events == 1000
    assert not batch.reconcile
    assert d.pop_due() == [] and len(d) == 0


def test_each_new_event_restarts_the_quiet_period(clock: FakeClock) -> None:
    d = Debouncer(quiet=0.2, ceiling=2.0, clock=clock)
    d.add("repo", ["a.md"])
    for _ in range(5):
        clock.advance(0.15)
        d.add("repo", ["a.md"])
        assert d.pop_due() == []
    clock.advance(0.2)
    assert [b.events for b in d.pop_due()] == [6]


def test_continuous_writing_still_syncs_at_the_ceiling(clock: FakeClock) -> None:
    d = Debouncer(quiet=0.2, ceiling=2.0, clock=clock)
    popped = []
    for _ in range(100):  # an event every 0.1 s for 10 s: never quiet
        d.add("repo", ["log.md"])
        popped += d.pop_due()
        clock.advance(0.1)
    assert 4 <= len(popped) <= 5
    assert all(b.last - b.first <= 2.0 + 1e-6 for b in popped)


def test_repositories_are_batched_separately(clock: FakeClock) -> None:
    d = Debouncer(quiet=0.2, ceiling=2.0, clock=clock)
    d.add("one", ["a.md"])
    clock.advance(0.1)
    d.add("two", ["b.md"])
    clock.advance(0.11)
    assert [b.key for b in d.pop_due()] == ["one"]
    assert d.next_due() == pytest.approx(clock.now + 0.09)
    clock.advance(0.1)
    assert [(b.key, b.paths) for b in d.pop_due()] == [("two", {"b.md"})]
    assert d.next_due() is None


def test_reconcile_flag_and_folders_are_kept(clock: FakeClock) -> None:
    d = Debouncer(quiet=0.2, ceiling=2.0, clock=clock)
    d.add("repo", ["a.md"])
    d.add("repo", dirs=["docs/adr/new"])
    d.add("repo", reconcile=True)
    clock.advance(0.2)
    (batch,) = d.pop_due()
    assert batch.reconcile and batch.paths == {"a.md"} and batch.dirs == {"docs/adr/new"}


def test_requeued_batch_waits_for_its_retry_time_and_merges_newer_events(clock: FakeClock) -> None:
    d = Debouncer(quiet=0.2, ceiling=2.0, clock=clock)
    d.add("repo", ["a.md"])
    first_event = clock.now
    clock.advance(0.2)
    (failed,) = d.pop_due()
    d.requeue(failed, not_before=clock.now + 5.0)
    clock.advance(1.0)
    d.add("repo", ["b.md"])  # an edit during the outage
    clock.advance(3.0)
    assert d.pop_due() == []  # quiet for 3 s, but the retry time is not reached
    clock.advance(1.0)
    (batch,) = d.pop_due()
    assert batch.paths == {"a.md", "b.md"}
    assert batch.first == first_event  # latency is measured from the very first event
    assert batch.events == 2


def test_requeue_after_newer_events_keeps_everything(clock: FakeClock) -> None:
    d = Debouncer(quiet=0.2, ceiling=2.0, clock=clock)
    d.add("repo", ["a.md"])
    clock.advance(0.2)
    (failed,) = d.pop_due()
    d.add("repo", ["b.md"], reconcile=True)  # arrived while the failed sync ran
    d.requeue(failed, not_before=clock.now + 1.0)
    clock.advance(1.0)
    (batch,) = d.pop_due()
    assert batch.paths == {"a.md", "b.md"} and batch.reconcile


def test_closed_debouncer_refuses_events(clock: FakeClock) -> None:
    d = Debouncer(quiet=0.2, ceiling=2.0, clock=clock)
    assert d.add("repo", ["a.md"])
    d.close()
    assert not d.add("repo", ["b.md"])
    clock.advance(1)
    assert [b.paths for b in d.pop_due()] == [{"a.md"}]


def test_a_closed_debouncer_does_not_wait() -> None:
    """The daemon's loop waits on the debouncer between batches; a stop (``close``) while it synced, when nothing
    waited to be woken, must not cost it its wait after the sync (up to a second before the daemon exits)."""
    d = Debouncer(quiet=0.2, ceiling=2.0)
    d.close()
    waited = threading.Thread(target=d.wait, args=(60,))
    waited.start()
    waited.join(10)
    assert not waited.is_alive(), "waited on a closed debouncer"
    waited.join()


def test_invalid_periods_are_rejected() -> None:
    with pytest.raises(ValueError):
        Debouncer(quiet=1.0, ceiling=0.5)
    with pytest.raises(ValueError):
        Debouncer(quiet=-1)


def test_new_key_wakes_a_waiting_consumer() -> None:
    d = Debouncer(quiet=0.2, ceiling=2.0)
    woke = threading.Event()

    def consumer() -> None:
        d.wait(30)
        woke.set()

    t = threading.Thread(target=consumer)
    t.start()
    for _ in range(500):  # the consumer may not be waiting yet: keep adding new keys until it wakes
        d.add(f"repo-{_}", ["a.md"])
        if woke.wait(0.01):
            break
    t.join(5)
    assert woke.is_set()


def test_git_activity_pushes_a_pending_batch_back_and_starts_none(clock: FakeClock) -> None:
    """``touch`` (git released its index lock) gives the ref update that ends a checkout ``quiet`` seconds to join
    the pending batch; with nothing pending it starts no batch."""
    d = Debouncer(quiet=0.2, ceiling=2.0, clock=clock)
    d.touch("repo")
    assert len(d) == 0
    d.add("repo", ["docs/adr/0001.md"])
    clock.advance(0.15)
    d.touch("repo")
    clock.advance(0.1)
    assert d.pop_due() == [], "0.25 s after the change but only 0.1 s after git let go"
    d.add("repo", reconcile=True)  # HEAD moved
    clock.advance(0.2)
    (batch,) = d.pop_due()
    assert batch.reconcile and batch.paths == {"docs/adr/0001.md"}
