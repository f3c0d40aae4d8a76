"""apply's fast paths: batched writes, JSON bound as text, snapshots encoded once — same rows as the plain path."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from conftest import GitRepo
from specs import adr, contract, feature, revisions
from tracertm.models import Base
from tracertm.parsers.common import json_safe
from tracertm.engine import apply as apply_mod
from tracertm.engine.sync import sync


def _seed(repo: GitRepo, n: int = 5) -> None:
    for i in range(1, n + 1):
        repo.write(f"docs/adr/{i:04d}-d.md", adr(i, f"Decision {i}"))
        repo.write(f"contracts/c{i}.yaml", contract(i, f"Contract {i}"))
        repo.write(f"features/f{i}.feature", feature(i, f"Feature {i}"))
    repo.commit("seed")


def test_deletes_updates_and_creates_in_one_batch(git_repo: GitRepo, engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(apply_mod, "BATCH", 3)  # several batches per kind, each mixing actions
    _seed(git_repo)
    sync(git_repo.path, engine=engine)
    git_repo.git("rm", "-q", "docs/adr/0002-d.md", "features/f2.feature")
    git_repo.write("docs/adr/0003-d.md", adr(3, "Decision 3", decision="We will do something else."))
    git_repo.write("docs/adr/0009-d.md", adr(9, "Decision 9"))
    git_repo.write("features/f3.feature", feature(3, "Feature 3", {"only": ["Given one", "Then done"]}))
    git_repo.commit("change")
    result = sync(git_repo.path, engine=engine)
    assert result.errors == []
    assert {k: result.counts["adr"][k] for k in ("created", "updated", "deleted")} == {"created": 1, "updated": 1, "deleted": 1}
    revs = revisions(engine)
    assert ("adr", "ADR-0002", "deleted", 2) in revs and ("adr", "ADR-0003", "updated", 2) in revs
    assert ("adr", "ADR-0009", "created", 1) in revs and ("feature", "FEAT-2", "deleted", 2) in revs


def test_snapshots_and_json_columns_equal_the_plain_encoding(git_repo: GitRepo, engine) -> None:
    _seed(git_repo, 2)
    first = sync(git_repo.path, engine=engine)
    records = {(op.kind, op.number, op.parent or ""): op.record for op in first.operations}
    revs = Base.metadata.tables["spec_revisions"]
    with engine.connect() as conn:
        rows = conn.execute(select(revs.c.entity_type, revs.c.number, revs.c.snapshot)).all()
        adrs = conn.execute(select(Base.metadata.tables["adrs"])).mappings().all()
        # SQLite keeps the text as bound: it must be exactly what the JSON type would have written.
        raw = conn.exec_driver_sql("SELECT snapshot FROM spec_revisions").scalars().all()
    assert len(rows) == len(records)
    texts = set()
    for kind, number, snapshot in rows:
        parent = snapshot["feature_number"] if kind == "scenario" else ""
        expected = json_safe(records[(kind, number, parent)].fields)
        if parent:
            expected["feature_number"] = parent
        assert snapshot == expected
        texts.add(json.dumps(expected))
    if engine.dialect.name == "sqlite":
        assert set(raw) == texts
    for row in adrs:
        fields = records[("adr", row["adr_number"], "")].fields
        for name in ("considered_options", "related_adrs", "adr_metadata", "tags"):
            assert row[name] == json_safe(fields[name])


def test_encoded_text_is_json_dumps_of_json_safe() -> None:
    import datetime as dt

    from tracertm.parsers.records import SpecRecord

    fields = {"a": "ünïcode \"q\"", "b": [1, 2.5, None, True], "c": {"d": dt.date(2024, 1, 2), "e": ()}, "f": None,
              "g": False, "h": 10**20, "i": float("nan")}
    encoded = apply_mod._Encoded(SpecRecord("scenario", "SC-1", fields))
    assert encoded.snapshot("FEAT-1") == json.dumps(json_safe(fields) | {"feature_number": "FEAT-1"})
    assert encoded.snapshot(None) == json.dumps(json_safe(fields))
    for name, value in fields.items():
        assert encoded.texts is not None and encoded.text(name) == json.dumps(json_safe(value))


def test_bind_columns_gives_each_json_column_its_text() -> None:
    """A field's own value: its kept text; another value (a merged metadata dict): encoded here; None: SQL NULL
    where the column says so, else the JSON text ``null``; a scalar in a JSON column: encoded; keys json_safe would
    stringify: the general path."""
    import datetime as dt

    from tracertm.parsers.records import SpecRecord

    fields = {"title": "t", "tags": ["a", "b"], "given_steps": [{"text": "x", "line": 3}], "when_steps": None,
              "examples": "not a list", "scenario_metadata": {"k": dt.date(2024, 1, 2)}}
    binds = apply_mod.json_columns("scenario", "sqlite")
    for texts_kept in (True, False):
        record = SpecRecord("scenario", "SC-1", dict(fields) if texts_kept else {**fields, 1: "int key"})
        encoded = apply_mod._Encoded(record)
        assert (encoded.texts is not None) is texts_kept
        merged = {"k": "2024-01-02", "db": 1}
        row = dict(record.fields) | {"scenario_metadata": merged}
        row.pop(1, None)
        out = encoded.bind_columns(dict(row), binds)
        for name, bind in binds.items():
            if name not in row:
                assert name not in out and name + "__json" not in out
                continue
            value = row[name]
            expected = None if value is None and bind.none_as_null else json.dumps(json_safe(value))
            assert out[name + "__json"] == expected, name
            assert name not in out
        assert out["title"] == "t"
