"""A PATCH setting a JSON value (a metadata key, a contract's ``verification_result``) to one Python calls equal to
the stored one but JSON does not — ``true`` for ``1``, ``1`` for ``1.0``, ``false`` for ``0`` — was a 200 that wrote
nothing and answered the old value: the merge and the ORM compared with ``==`` (``True == 1 == 1.0``). It is a new
version holding the value sent, with its one ``annotated`` revision, on SQLite and PostgreSQL; a value the very same
as stored still writes nothing."""

from __future__ import annotations

import math
from typing import Any

from apikit import api_client, make_token
from conftest import GitRepo
from specs import adr, contract
from tracertm.engine.sync import sync

API = "/api/v1"


def test_a_json_value_of_another_type_is_written(git_repo: GitRepo, engine: Any) -> None:
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.write("contracts/refunds.yaml", contract(1, "Refunds"))
    git_repo.commit("seed")
    assert not sync(git_repo.path, engine=engine, project="shop").errors
    headers = {"Authorization": f"Bearer {make_token(engine)}", "If-Match": "*"}
    with api_client(engine) as client:
        url = f"{API}/adrs/ADR-0001"
        r = client.patch(url, json={"metadata": {"y": 1, "x": 1.0, "z": 0, "w": [1]}}, headers=headers)
        assert r.status_code == 200 and r.json()["version"] == 2, r.text
        for version, sent in ((3, {"y": True}), (4, {"x": 1}), (5, {"z": False}), (6, {"w": [1.0]}),
                              (7, {"y": 1.0})):
            r = client.patch(url, json={"metadata": sent}, headers=headers)
            assert r.status_code == 200, r.text
            key, value = next(iter(sent.items()))
            got = client.get(url).json()
            for answer in (r.json(), got):
                assert answer["version"] == version and answer["metadata"][key] == value, (sent, answer["metadata"])
                assert type(answer["metadata"][key]) is type(value), (sent, answer["metadata"])
        r = client.patch(url, json={"metadata": {"y": 1.0}}, headers=headers)  # the very value stored: no change
        assert r.json()["version"] == 7
        assert [rev["version"] for rev in client.get(f"{url}/history").json()] == list(range(1, 8))

        url = f"{API}/contracts/CTR-0001"
        r = client.patch(url, json={"verification_result": {"ok": 1}}, headers=headers)
        assert r.status_code == 200 and r.json()["version"] == 2, r.text
        r = client.patch(url, json={"verification_result": {"ok": True}}, headers=headers)
        assert r.status_code == 200, r.text
        got = client.get(url).json()
        assert r.json()["verification_result"] == got["verification_result"] == {"ok": True}
        assert got["verification_result"]["ok"] is True and got["version"] == 3
        assert [rev["version"] for rev in client.get(f"{url}/history").json()] == [1, 2, 3]


def _signs(value: Any) -> Any:
    """``value`` with each float as (its value, its sign): -0.0 == 0.0 in Python, not to a client."""
    if isinstance(value, dict):
        return {key: _signs(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_signs(item) for item in value]
    return (value, math.copysign(1.0, value)) if isinstance(value, float) else value


def test_a_zero_of_the_other_sign_is_written_where_the_database_keeps_it(git_repo: GitRepo, engine: Any) -> None:
    """-0.0 over 0.0 (and back), in metadata at any depth and in a float field, was a 200 that wrote nothing:
    Python's ``0.0 == -0.0``. It is a new version where the database keeps the sign — JSON on SQLite (text), a float
    column on PostgreSQL — and where it does not (jsonb's numeric, SQLite's REAL) no change, answering the zero it
    keeps."""
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("seed")
    assert not sync(git_repo.path, engine=engine, project="shop").errors
    headers = {"Authorization": f"Bearer {make_token(engine)}", "If-Match": "*"}
    json_signed = engine.dialect.name == "sqlite"  # a float column keeps the sign where JSON does not
    with api_client(engine) as client:
        url = f"{API}/adrs/ADR-0001"
        r = client.patch(url, json={"metadata": {"z": 0.0, "w": [{"z": 0.0}]}, "compliance_score": 0.0},
                         headers=headers)
        assert r.status_code == 200 and r.json()["version"] == 2, r.text
        version = 2
        for sent in ({"z": -0.0}, {"w": [{"z": -0.0}]}, {"z": 0.0}, {"z": -0.0}):
            r = client.patch(url, json={"metadata": sent}, headers=headers)
            version += json_signed
            got = client.get(url).json()
            for answer in (r.json(), got):
                assert answer["version"] == version, (sent, answer["version"])
                key = next(iter(sent))
                kept = sent[key] if json_signed else _zero(sent[key])
                assert _signs(answer["metadata"][key]) == _signs(kept), (sent, answer["metadata"])
        for sent in (-0.0, 0.0):
            r = client.patch(url, json={"compliance_score": sent}, headers=headers)
            version += not json_signed
            got = client.get(url).json()
            for answer in (r.json(), got):
                assert answer["version"] == version, (sent, answer)
                assert _signs(answer["compliance_score"]) == _signs(0.0 if json_signed else sent), (sent, answer)
        assert [rev["version"] for rev in client.get(f"{url}/history").json()] == list(range(1, version + 1))


def _zero(value: Any) -> Any:
    """``value`` with every -0.0 as 0.0, as jsonb keeps it."""
    if isinstance(value, dict):
        return {key: _zero(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_zero(item) for item in value]
    return abs(value) if isinstance(value, float) else value
