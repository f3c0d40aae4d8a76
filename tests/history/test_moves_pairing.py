"""The pure pairing rules of ``engine.moves``: which deleted and created files are one file moved."""

from __future__ import annotations

import uuid

import pytest

from tracertm.engine import moves
from tracertm.engine.moves import pair_moves, similar_moves
from tracertm.engine.plan import Current
from tracertm.parsers.records import ParseResult, SpecRecord

TEXT = "".join(f"line {i}\n" for i in range(20))


def _reader(texts: dict[str, str]):  # type: ignore[no-untyped-def]
    return lambda keys: {k: texts[k].encode() for k in keys if k in texts}


def test_identical_blobs_pair_first_then_the_most_similar_content() -> None:
    removed = {"features/a.feature": ("feature", "b1"), "features/b.feature": ("feature", "b2"),
               "features/c.feature": ("feature", "b3")}
    added = {"features/x.feature": ("feature", "b1"),  # the same blob as a
             "features/y.feature": ("feature", "n1"),  # b with one line changed
             "features/z.feature": ("feature", "n2")}  # nothing like c
    old = {"b2": TEXT, "b3": "completely\ndifferent\n"}
    new = {"features/y.feature": TEXT.replace("line 3\n", "line three\n"), "features/z.feature": "other\ntext\nhere\n"}
    assert similar_moves(removed, added, _reader(old), _reader(new)) == {
        "features/a.feature": "features/x.feature", "features/b.feature": "features/y.feature"}


def test_kinds_never_pair_and_unreadable_old_contents_pair_only_identical_blobs() -> None:
    removed = {"contracts/a.yaml": ("contract", "b1"), "features/b.feature": ("feature", "b2")}
    added = {"features/a.feature": ("feature", "b1"), "features/c.feature": ("feature", "n")}
    new = {"features/a.feature": "Feature: something else\n", "features/c.feature": TEXT}
    assert similar_moves(removed, added, _reader({"b1": TEXT, "b2": TEXT}), _reader(new)) == {
        "features/b.feature": "features/c.feature"}
    assert similar_moves(removed, added, None, _reader(new)) == {}


def test_beyond_the_pair_limit_only_identical_blobs_pair(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moves, "MAX_PAIRS", 1)
    removed = {"features/a.feature": ("feature", "b1"), "features/b.feature": ("feature", "b2")}
    added = {"features/x.feature": ("feature", "n1"), "features/y.feature": ("feature", "n2")}
    texts = {"b1": TEXT, "b2": TEXT, "features/x.feature": TEXT, "features/y.feature": TEXT}
    assert similar_moves(removed, added, _reader(texts), _reader(texts)) == {}


def _current(kind: str, number: str, path: str, deleted: bool = False) -> Current:
    return Current(uuid.uuid4(), kind, number, 1, "h", path, deleted)  # type: ignore[arg-type]


def _parsed(kind: str, path: str, *numbers: str) -> ParseResult:
    return ParseResult(path, kind, tuple(SpecRecord(kind, n, {}) for n in numbers))  # type: ignore[arg-type]


@pytest.mark.parametrize(("old", "new", "paired"), [
    (("feature", "login", "features/login.feature"), ("features/auth/login.feature", "auth/login"), True),
    (("contract", "payments", "contracts/payments.yaml"), ("contracts/api/payment-api.yaml", "payment-api"), True),
    (("feature", "FEAT-1", "features/login.feature"), ("features/sign-in.feature", "FEAT-2"), False),  # tagged
    (("adr", "ADR-0002", "docs/adr/0002-a.md"), ("docs/adr/0009-a.md", "ADR-0009"), False),  # numbers written
    (("feature", "login", "features/login.feature"), ("features/sign-in.feature", "login"), False),  # same id
])
def test_only_identities_named_after_the_file_are_renumbered(old: tuple[str, str, str], new: tuple[str, str],
                                                             paired: bool) -> None:
    kind, number, path = old
    current = {(kind, number): _current(kind, number, path)}
    parsed = {new[0]: _parsed(kind, new[0], new[1])}
    assert pair_moves({path: new[0]}, parsed, current) == ([(kind, number, new[1])] if paired else [])


def test_a_pairing_never_takes_a_known_identity_or_one_still_defined() -> None:
    current = {("feature", "login"): _current("feature", "login", "features/login.feature"),
               ("feature", "sign-in"): _current("feature", "sign-in", "features/old/sign-in.feature", deleted=True)}
    parsed = {"features/sign-in.feature": _parsed("feature", "features/sign-in.feature", "sign-in")}
    assert pair_moves({"features/login.feature": "features/sign-in.feature"}, parsed, current) == []
    current.pop(("feature", "sign-in"))
    parsed["features/other/login.feature"] = _parsed("feature", "features/other/login.feature", "login")
    assert pair_moves({"features/login.feature": "features/sign-in.feature"}, parsed, current) == []


def test_documents_of_a_contract_file_pair_in_order() -> None:
    current = {(("contract", n)): _current("contract", n, "contracts/pay.yaml") for n in ("pay", "pay#2", "pay#10")}
    parsed = {"contracts/money.yaml": _parsed("contract", "contracts/money.yaml", "money", "money#2", "money#3")}
    assert pair_moves({"contracts/pay.yaml": "contracts/money.yaml"}, parsed, current) == [
        ("contract", "pay", "money"), ("contract", "pay#2", "money#2"), ("contract", "pay#10", "money#3")]
