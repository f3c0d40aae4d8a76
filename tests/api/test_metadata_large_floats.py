"""A float of 1e16 or more in metadata comes back the float it was, on PostgreSQL as on SQLite. jsonb keeps numbers
as numeric, which wrote ``1e+20`` back as ``100000000000000000000``: an integer to the API's reader, and
``1.2345678901234567e+19`` came back ``12345678901234567000``, another number than the float stored — so the same
``PATCH`` sent again made another version and revision, each time. SQLite keeps the text: it answered the floats. A sync's own float (a
contract's ``1.0e+20``) came back an integer too."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from apikit import api_client, make_token
from conftest import GitRepo
from specs import contract
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill
from tracertm.models import SpecRevision

API = "/api/v1"
FLOATS = {"big": 1e20, "odd": 1.2345678901234567e19, "huge": -1.5e300, "max": 1.7976931348623157e308,
          "small": 1e15, "text": "1e+20 stays text", "int": 10**25, "nested": [{"f": 2e22}]}


def _typed(value: Any) -> Any:
    """``value`` with each number's type beside it: 1e20 == 10**20 in Python, but not to a client."""
    if isinstance(value, dict):
        return {key: _typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_typed(item) for item in value]
    return (type(value).__name__, value)


def test_metadata_floats_come_back_as_floats(git_repo: GitRepo, engine: Any) -> None:
    git_repo.write("contracts/refunds.yaml", contract(1, "Refunds") + "metadata:\n  limit: 1.0e+20\n")
    git_repo.commit("seed")
    assert not sync(git_repo.path, engine=engine, project="shop").errors
    headers = {"Authorization": f"Bearer {make_token(engine)}", "If-Match": "*"}
    with api_client(engine) as client:
        url = f"{API}/contracts/CTR-0001"
        # The file's own float, as a sync stored it (its bulk writes encode their JSON themselves).
        assert _typed(client.get(url).json()["metadata"]) == _typed({"limit": 1e20})
        first = client.patch(url, json={"metadata": FLOATS}, headers=headers)
        assert first.status_code == 200, first.text
        expected = _typed({"limit": 1e20, **FLOATS})
        assert _typed(first.json()["metadata"]) == expected
        assert _typed(json.loads(client.get(url).text)["metadata"]) == expected
        # Sent again, nothing changes: no new version, no new revision.
        again = client.patch(url, json={"metadata": FLOATS}, headers=headers)
        assert again.status_code == 200 and again.json()["version"] == first.json()["version"] == 2, again.text
    with db.session(engine) as session:
        changes = session.scalars(select(SpecRevision.change).order_by(SpecRevision.version)).all()
        assert changes == ["created", "annotated"]


def test_a_backfill_stores_a_files_float_as_a_float(git_repo: GitRepo, engine: Any) -> None:
    """The backfill's writes (the replay's, and a merge keeping the database's keys) encode as a sync's do."""
    git_repo.write("contracts/refunds.yaml", contract(1, "Refunds") + "metadata:\n  limit: 1.0e+20\n")
    seed = git_repo.commit("seed")
    git_repo.write("contracts/refunds.yaml", contract(1, "Refunds") + "metadata:\n  limit: 2.0e+20\n")
    git_repo.commit("raise")
    backfill(git_repo.path, ref="HEAD", engine=engine, project="shop")
    with api_client(engine) as client:
        url = f"{API}/contracts/CTR-0001"
        assert _typed(client.get(url).json()["metadata"]) == _typed({"limit": 2e20})
        # The revision of the first commit, with the snapshot of its fields.
        then = client.get(f"{url}/at/{seed}").json()["snapshot"]["metadata"]
        assert _typed(then) == _typed({"limit": 1e20})
