"""The check cache's claims index as loaded (``Claims(rows=...)``: searched in its rows column until a dict pays)
must answer, change and write back exactly as the dict it replaces."""

from __future__ import annotations

import random

import pytest

from tracertm.check_cache import Claims
from tracertm.sketches import RecordSketch, Sketch


def _sketch(kind: str, *numbers: str) -> Sketch:
    return Sketch(kind, tuple(RecordSketch(n, 1, (), ()) for n in numbers), True)  # type: ignore[arg-type]


def _owners(rng: random.Random) -> dict[str, list[str]]:
    owners: dict[str, list[str]] = {}
    for i in range(300):
        kind = rng.choice(["adr", "contract", "feature", "scenario"])
        number = str(rng.randrange(120))  # collisions: several claimants of one key, in claim order
        owners.setdefault(f"{kind}\t{number}", []).append(f"dir {i % 7}/file\t{i}.md")  # a tab in a path
    return owners


def _rows(owners: dict[str, list[str]]) -> str:
    return "\0".join(f"{k}\t{p}" for k, paths in owners.items() for p in paths)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("steps", [5, 40, 200])  # below and above the lookups that build the dict
def test_lazy_claims_behave_as_the_dict(seed: int, steps: int) -> None:
    rng = random.Random(seed)
    owners = _owners(rng)
    lazy, eager = Claims(rows=_rows(owners)), Claims({k: list(v) for k, v in owners.items()})
    keys = [*owners, "adr\t999", "adr\t1", "feature\t12"]
    for _ in range(steps):
        kind, number = rng.choice(keys).split("\t")
        path = rng.choice([p for paths in owners.values() for p in paths] + ["new/one.md"])
        what = rng.random()
        if what < 0.35:
            lazy.remove(path, _sketch(kind, number))
            eager.remove(path, _sketch(kind, number))
        elif what < 0.7:
            lazy.add(path, _sketch(kind, number))
            eager.add(path, _sketch(kind, number))
        else:
            assert lazy.is_adr(number) == eager.is_adr(number)
            assert lazy.get(f"{kind}\t{number}") == eager.owners.get(f"{kind}\t{number}")
        assert lazy.changed == eager.changed
    for key in keys:
        assert lazy.get(key) == eager.owners.get(key), key
    assert lazy.changed == eager.changed
    written = Claims(rows=lazy.rows())
    assert written.owners == eager.owners
    assert lazy.owners == eager.owners


def test_unchanged_claims_are_written_back_as_read() -> None:
    owners = _owners(random.Random(1))
    rows = _rows(owners)
    claims = Claims(rows=rows)
    key = next(k for k, v in owners.items() if len(v) == 1)
    kind, number = key.split("\t")
    claims.remove(owners[key][0], _sketch(kind, number))
    claims.add(owners[key][0], _sketch(kind, number))  # the same claim again: nothing changed
    assert not claims.changed
    assert claims.rows() is rows
    assert claims._owners is None, "a few lookups never build the dict"
    claims.add("other.md", _sketch(kind, number))
    assert claims.changed and Claims(rows=claims.rows()).owners[key] == [owners[key][0], "other.md"]


def test_empty_claims() -> None:
    for claims in (Claims(), Claims(rows=""), Claims({})):
        assert claims.get("adr\t1") is None and not claims.is_adr("1") and claims.rows() == ""
        claims.add("a.md", _sketch("adr", "1"))
        assert claims.is_adr("1") and claims.rows() == "adr\t1\ta.md"
