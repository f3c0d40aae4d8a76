"""A step definition of the shared library (no project, no ``file::function``) edited through the API (SQLite and
PostgreSQL): the PATCH is one version and one ``annotated`` revision numbered by the pattern — it was a 500, the
revision's number being NULL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from apikit import api_client, make_token
from tracertm import db
from tracertm.models import SpecRevision, StepDefinition, StepType


def test_a_shared_step_definition_is_patched_with_its_revision(engine: Any) -> None:
    with db.session(engine) as session, session.begin():
        row = StepDefinition(step_type=StepType.WHEN, pattern="I pay by card")
        session.add(row)
        session.flush()
        ident = str(row.id)
    headers = {"Authorization": f"Bearer {make_token(engine, label='lib')}", "If-Match": '"1"'}
    with api_client(engine) as client:
        r = client.patch(f"/api/v1/step-definitions/{ident}", json={"last_used_at": "2024-05-06T07:08:09Z"},
                         headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["version"] == 2 and r.json()["last_used_at"].startswith("2024-05-06T07:08:09")
    with db.session(engine) as session:
        revisions = session.execute(select(SpecRevision)).scalars().all()
        assert [(r.entity_type, r.number, r.version, r.change, r.actor, r.changed_fields) for r in revisions] == [
            ("step_definition", "I pay by card", 2, "annotated", "api:lib", ["last_used_at"])]
