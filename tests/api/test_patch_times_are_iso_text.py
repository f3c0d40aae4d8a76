"""A database-owned time (``approved_at``, ``last_verified_at``, ``last_executed_at``, ...) in a PATCH is ISO 8601
text, as ``/openapi.json`` documents it (``format: date-time``). pydantic's lax mode also read a number, or text
of digits alone, as a Unix time, guessing seconds or milliseconds from its size: ``"20240101"`` (a date in ISO's
basic form) was stored as 1970-08-23, a year alone (``"2024"``) as 1970-01-01T00:33:44, and 253402300800 (the first
second of year 10000 in seconds) as 1978 — a 200 and a new version holding a time nobody sent. Each is a 422
naming the field, nothing written, on SQLite and PostgreSQL; ISO text (a date alone too) and, from Python, a
``datetime`` are taken as before."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from apikit import api_client, make_token
from conftest import GitRepo
from specs import adr
from tracertm import db
from tracertm.errors import InvalidValues
from tracertm.engine.sync import sync
from tracertm.repositories.kinds import KINDS
from tracertm.schemas.updates import update_model

API = "/api/v1"
NUMBERS: list[Any] = ["20240101", "2024", "1", "1.5", "-1", "+1", ".5", "1.", 1_700_000_000, 1.5, 0,
                      253_402_300_800]


def _seeded(git_repo: GitRepo, engine: Any) -> dict[str, str]:
    """ADR-0001 synced into project ``shop``; the headers of a PATCH of it by a token's holder."""
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("seed")
    assert not sync(git_repo.path, engine=engine, project="shop").errors
    return {"Authorization": f"Bearer {make_token(engine)}", "If-Match": "*"}


def test_a_number_for_a_time_is_a_422_and_nothing_is_written(git_repo: GitRepo, engine: Any) -> None:
    headers = _seeded(git_repo, engine)
    url = f"{API}/adrs/ADR-0001"
    with api_client(engine) as client:
        for value in NUMBERS:
            r = client.patch(url, json={"approved_at": value}, headers=headers)
            assert r.status_code == 422, (value, r.text)
            assert r.headers["content-type"] == "application/problem+json"
            assert r.json()["detail"] == (
                f"approved_at: {value} is a number, not a time; write a time in ISO 8601 "
                "(2024-05-01T12:00:00Z, or a date: 2024-05-01)"), value
        got = client.get(url).json()
        assert (got["version"], got["approved_at"]) == (1, None)
        assert len(client.get(f"{url}/history").json()) == 1
        # ISO text still is a time: with an offset (stored in UTC), without one (UTC), or a date alone (midnight).
        for version, sent, stored in ((1, "2024-05-01T12:00:00+02:00", "2024-05-01T10:00:00Z"),
                                      (2, "2024-05-01T12:00:00", "2024-05-01T12:00:00Z"),
                                      (3, "2024-05-01", "2024-05-01T00:00:00Z")):
            r = client.patch(url, json={"approved_at": sent}, headers={**headers, "If-Match": f'"{version}"'})
            assert r.status_code == 200, r.text
            assert (r.json()["approved_at"], r.json()["version"]) == (stored, version + 1)
        assert len(client.get(f"{url}/history").json()) == 4


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_time_of_every_update_model_refuses_a_number(kind: str) -> None:
    """The rule is the update models' (``update_model``), so the Python API's ``Records.update`` keeps it too;
    a ``datetime`` given from Python is still taken."""
    model = update_model(kind)
    times = [name for name, info in model.model_fields.items() if "datetime" in str(info.annotation)]
    assert times, "every kind has a database-owned time"
    for name in times:
        for value in ("20240101", 20240101):
            with pytest.raises(ValidationError, match="is a number, not a time"):
                model.model_validate({name: value})
        moment = dt.datetime(2024, 5, 1, 12, tzinfo=dt.timezone.utc)
        assert getattr(model.model_validate({name: moment}), name) == moment


def test_records_update_from_python_takes_a_datetime(git_repo: GitRepo, engine: Any) -> None:
    from tracertm.repositories.records import Records

    _seeded(git_repo, engine)
    moment = dt.datetime(2024, 5, 1, 12, tzinfo=dt.timezone.utc)
    with db.session(engine) as session, session.begin():
        records = Records(session, "adrs")
        row = records.get("ADR-0001")
        with pytest.raises(InvalidValues, match="is a number, not a time"):
            records.update(row, {"approved_at": "20240101"}, 1, "api:test")
        records.update(row, {"approved_at": moment}, 1, "api:test")
    with db.session(engine) as session:
        row = Records(session, "adrs").get("ADR-0001")
        assert row.version == 2 and row.approved_at.replace(tzinfo=dt.timezone.utc) == moment


def test_a_time_equal_to_the_stored_one_writes_no_version(git_repo: GitRepo, engine: Any) -> None:
    """A time without an offset is UTC (as stored): sent again as the time already stored it is no change. It was
    kept naive and compared unequal to the stored (aware) value, so the PATCH made a new version and an
    ``annotated`` revision naming ``approved_at`` for a value that had not changed."""
    headers = _seeded(git_repo, engine)
    url = f"{API}/adrs/ADR-0001"
    with api_client(engine) as client:
        r = client.patch(url, json={"approved_at": "2024-05-01T10:00:00Z"}, headers=headers)
        assert r.status_code == 200 and r.json()["version"] == 2, r.text
        etag = r.headers["etag"]
        for same in ("2024-05-01T10:00:00", "2024-05-01T12:00:00+02:00", "2024-05-01T10:00:00.000Z"):
            r = client.patch(url, json={"approved_at": same}, headers=headers)
            assert r.status_code == 200, r.text
            assert (r.json()["version"], r.json()["approved_at"], r.headers["etag"]) == (
                2, "2024-05-01T10:00:00Z", etag), same
        assert [rev["version"] for rev in client.get(f"{url}/history").json()] == [1, 2]
