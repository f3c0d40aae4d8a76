"""Row ids that ascend (engine.ids): valid UUIDs of version 7, unique, each greater than the one before."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from tracertm.engine import ids


def test_ids_ascend_and_are_version_7() -> None:
    made = [ids.new_id() for _ in range(20_000)]
    assert made == sorted(made) and len(set(made)) == len(made)
    assert made == sorted(made, key=lambda u: u.hex)  # as stored on SQLite (CHAR(32) hex) too
    assert all(u.version == 7 and u.variant == uuid.RFC_4122 for u in made)
    now_ms = time.time_ns() // 1_000_000
    assert abs((made[-1].int >> 80) - now_ms) < 60_000  # the leading 48 bits are the time in milliseconds


def test_ids_ascend_when_the_clock_steps_back(monkeypatch: pytest.MonkeyPatch) -> None:
    first = ids.new_id()
    monkeypatch.setattr(ids.time, "time_ns", lambda: 0)  # the clock went back to 1970
    later = [ids.new_id() for _ in range(100)]
    assert [first, *later] == sorted([first, *later]) and len(set(later)) == 100


def test_ids_from_threads_are_unique() -> None:
    out: list[list[uuid.UUID]] = [[] for _ in range(4)]

    def make(i: int) -> None:
        out[i].extend(ids.new_id() for _ in range(5_000))

    threads = [threading.Thread(target=make, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [u for part in out for u in part]
    assert len(set(every)) == len(every)
    assert all(part == sorted(part) for part in out)


def test_an_id_is_a_uuid_with_its_hex_kept() -> None:
    import copy
    import pickle

    made = ids.new_id()
    plain = uuid.UUID(int=made.int)
    assert isinstance(made, uuid.UUID) and made == plain and plain == made and hash(made) == hash(plain)
    assert made.hex == plain.hex and str(made) == str(plain) and repr(made) == repr(plain)
    assert made.bytes == plain.bytes and made.version == 7 and made.is_safe == plain.is_safe
    assert {plain: 1}[made] == 1 and not made < plain and made <= plain
    for again in (pickle.loads(pickle.dumps(made)), copy.copy(made), copy.deepcopy(made)):
        assert type(again) is uuid.UUID and again == made and again.hex == made.hex


def test_as_id_keeps_the_uuid_and_its_hex() -> None:
    plain = uuid.uuid4()
    made = ids.as_id(plain)
    assert type(made) is ids.Id and made == plain and hash(made) == hash(plain) and str(made) == str(plain)
    assert made is not None and made.hex == plain.hex and made.int == plain.int and made.version == plain.version
    assert ids.as_id(made) is made and ids.as_id(None) is None


def test_link_rows_bind_the_same_project_id() -> None:
    from tracertm.engine.links import LinkSpec, Source, link_row

    for project in (uuid.uuid4(), uuid.uuid4()):  # a second project: the cached id follows it
        source = Source("adr", ids.new_id(), "ADR-0001", "docs/adr/1.md", 3, {})
        row = link_row(project, source, LinkSpec("related", "adr", "ADR-0002"), None)
        assert row["project_id"] == project and row["project_id"].hex == project.hex
