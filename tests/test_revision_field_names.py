"""A revision's fields are named as the record's read model names them, wherever a revision is shown: the API's
``history`` and ``at``, ``tracertm history``, ``show --at`` and ``diff`` (JSON and text) and the web history
timeline say ``metadata`` (and a scenario's ``feature``), never the stored column names ``contract_metadata``,
``adr_metadata``, ``step_metadata`` or ``feature_number``. The stored revisions, an audit trail, keep the names
they were written with (also those an older release wrote), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import shutil
import uuid
from collections.abc import Iterator
from typing import Any, NamedTuple

import pytest
from sqlalchemy import select, update

from apikit import api_client, make_token
from conftest import GitRepo, _fresh_pg, init_repo, isolated, run_cli
from specs import adr, contract
from tracertm import db
from tracertm.api import ApiSettings
from tracertm.engine.sync import sync
from tracertm.history.names import field_name
from tracertm.models import SpecRevision, StepDefinition
from tracertm.repositories.kinds import KINDS, LOOKUP_KEYS
from tracertm.schemas.records import read_model

API = "/api/v1"
CONTRACT = contract(1, "Refunds") + "metadata:\n  owner: payments\n"
FEATURE = ("@FEAT-1\nFeature: Refunds\n\n  @SC-1\n  Scenario: full refund\n    Given a paid order\n"
           "    Then it is refunded\n")
STEPS = "from behave import given\n\n\n@given('a paid order')\ndef paid(context):\n    pass\n"
STORED = re.compile(r"\w+_metadata\b")  # a stored column name (a feature's own feature_number is its field)


class Shop(NamedTuple):
    commits: dict[str, str]  # by name
    repo: GitRepo
    engine: Any
    url: str


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def _shop_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty database of each kind, for the module (as ``database_url`` gives one per test)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("shop-db") / "tracertm.db"
        shutil.copy(request.getfixturevalue("_sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        yield from _fresh_pg(request.getfixturevalue("_pg_template"))


@pytest.fixture(scope="module")
def shop(_shop_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    """The shop, built once per database for the module: every test here only reads it (the API test asserts the
    stored revisions are unchanged). Committed with the identity and home ``_isolated_home`` gives a test."""
    folder = tmp_path_factory.mktemp("shop")
    engine = db.make_engine(_shop_url)
    try:
        with isolated(tmp_path_factory):
            repo = init_repo(folder / "repo")
            commits = _build_shop(repo, engine)
        yield Shop(commits, repo, engine, _shop_url)
    finally:
        engine.dispose()


def _build_shop(git_repo: GitRepo, engine: Any) -> dict[str, str]:
    """A project with git revisions of every kind, a contract whose file changed its metadata, a commit that only
    moved the scenario down a line (no revision), and database-side edits of metadata: commits by name."""
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.write("contracts/refunds.yaml", CONTRACT)
    git_repo.write("features/refunds.feature", FEATURE)
    git_repo.write("features/steps/refunds.py", STEPS)
    commits = {"first": git_repo.commit("seed")}
    assert not sync(git_repo.path, engine=engine, project="shop").errors
    git_repo.write("contracts/refunds.yaml", CONTRACT.replace("owner: payments", "owner: treasury"))
    commits["owner"] = git_repo.commit("owner")
    assert not sync(git_repo.path, engine=engine, project="shop").errors
    git_repo.write("features/refunds.feature", "# refunds\n" + FEATURE)
    commits["shifted"] = git_repo.commit("a comment above")
    assert not sync(git_repo.path, engine=engine, project="shop").errors
    with api_client(engine) as client:
        for url, version in ((f"{API}/contracts/CTR-0001", 2), (f"{API}/adrs/ADR-0001", 1)):
            answer = client.patch(url, json={"metadata": {"reviewer": "grace"}}, headers=_auth(engine, version))
            assert answer.status_code == 200, answer.text
    _old_release_edit(engine)
    return commits


def _auth(engine: Any, version: int) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(engine)}", "If-Match": f'"{version}"'}


def _old_release_edit(engine: Any) -> None:
    """An annotated revision of the step definition written with plain statements, as a release before this one
    stored it (column names), with the row's version bumped to match."""
    with engine.begin() as conn:
        step = conn.execute(select(StepDefinition.__table__)).one()
        conn.execute(update(StepDefinition.__table__).where(StepDefinition.__table__.c.id == step.id)
                     .values(version=step.version + 1))
        conn.execute(SpecRevision.__table__.insert().values(
            id=uuid.uuid4(), project_id=step.project_id, entity_type="step_definition", entity_id=step.id,
            number=step.pattern, version=step.version + 1, change="annotated", snapshot={"step_metadata": {"x": 1}},
            actor="old-release", changed_fields=["step_metadata"], content_hash=step.content_hash,
            source_path=step.source_path))


def _stored(engine: Any) -> list[tuple[str, list[str] | None, list[str]]]:
    with engine.connect() as conn:
        rows = conn.execute(select(SpecRevision.entity_type, SpecRevision.changed_fields, SpecRevision.snapshot)
                            .where(SpecRevision.change == "annotated")).all()
    return sorted((kind, changed, sorted(snapshot)) for kind, changed, snapshot in rows)


def test_every_stored_name_has_a_read_model_field() -> None:
    """The rule names every column of every kind as its read model does (and a scenario's feature_number). The
    engine's look-up keys are no field: no revision names them (they are not parsed fields), no model has them."""
    for k in KINDS.values():
        fields = set(read_model(k.name).model_fields)
        assert {field_name(k.name, c.key) for c in k.table.columns if c.key not in LOOKUP_KEYS} <= fields, k.name
        assert not LOOKUP_KEYS & fields, k.name
    assert field_name("scenario", "feature_number") == "feature" in read_model("scenario").model_fields
    assert field_name("feature", "feature_number") == "feature_number"


def test_the_api_names_revision_fields_as_its_read_models(shop: Shop) -> None:
    commits, git_repo, engine = shop.commits, shop.repo, shop.engine
    stored_before = _stored(engine)
    assert ("contract", ["contract_metadata"], ["contract_metadata"]) in stored_before
    assert ("step_definition", ["step_metadata"], ["step_metadata"]) in stored_before
    records = {"adrs": "ADR-0001", "contracts": "CTR-0001", "features": "FEAT-1", "scenarios": "FEAT-1/SC-1",
               "step-definitions": "features/steps/refunds.py::paid"}
    # With the repository: revisions of work-tree syncs are dated by it, and at a commit that only moved a record
    # its fields are read from the file there.
    with api_client(engine, ApiSettings(repositories={"shop": str(git_repo.path)})) as client:
        for plural, ident in records.items():
            current = client.get(f"{API}/{plural}/{ident}").json()
            history = client.get(f"{API}/{plural}/{ident}/history")
            assert history.status_code == 200 and not STORED.search(history.text), history.text
            for commit in commits.values():
                at = client.get(f"{API}/{plural}/{ident}/at/{commit}")
                assert at.status_code == 200, at.text
                snapshot = at.json()["snapshot"]
                assert set(snapshot) <= set(current), (plural, commit, set(snapshot) - set(current))
                if plural != "step-definitions":
                    assert "metadata" in snapshot, (plural, snapshot)
        edits = {r["version"]: r["changed_fields"]
                 for r in client.get(f"{API}/contracts/CTR-0001/history").json()}
        assert edits == {1: None, 2: None, 3: ["metadata"]}
        steps = client.get(f"{API}/step-definitions/{records['step-definitions']}/history").json()
        assert steps[-1]["changed_fields"] == ["metadata"] and steps[-1]["actor"] == "old-release"
        scenario = client.get(f"{API}/scenarios/FEAT-1/SC-1/at/{commits['shifted']}").json()["snapshot"]
        assert scenario["feature"] == "FEAT-1"
        assert client.get(f"{API}/contracts/CTR-0001/at/{commits['first']}").json()["snapshot"]["metadata"] == {
            "owner": "payments"}
    assert _stored(engine) == stored_before  # the audit trail is read, never rewritten


# The CLI's wording: SQLite only (the same stored revisions read on PostgreSQL, with the old release's names:
# test_the_api_names_revision_fields_as_its_read_models[postgresql]).
@pytest.mark.parametrize("_shop_url", ["sqlite"], indirect=True)
def test_the_cli_names_revision_fields_as_show_does(shop: Shop) -> None:
    commits, git_repo, database_url = shop.commits, shop.repo, shop.url
    where = ("--path", str(git_repo.path), "--database-url", database_url)
    history = run_cli("history", "CTR-0001", "--format", "json", *where)
    assert history.returncode == 0, history.stderr
    assert [r["changed_fields"] for r in json.loads(history.stdout)] == [None, None, ["metadata"]]
    text = run_cli("history", "CTR-0001", *where)
    assert "annotated (metadata)" in text.stdout and "contract_metadata" not in text.stdout, text.stdout
    steps = run_cli("history", "STEP-1", *where)
    assert "annotated (metadata)" in steps.stdout and "step_metadata" not in steps.stdout, steps.stdout

    for ident, commit in (("CTR-0001", "first"), ("ADR-0001", "first"), ("FEAT-1", "owner"),
                          ("FEAT-1/SC-1", "first"), ("FEAT-1/SC-1", "shifted")):
        shown = json.loads(run_cli("show", ident, "--format", "json", *where).stdout)
        at = run_cli("show", ident, "--at", commits[commit], "--format", "json", *where)
        assert at.returncode == 0, at.stderr
        fields = json.loads(at.stdout)["snapshot"]
        assert "metadata" in fields and set(fields) <= set(shown), (ident, set(fields) - set(shown))
        text = run_cli("show", ident, "--at", commits[commit], *where).stdout
        assert "\nmetadata:" in text and not STORED.search(text), text
        assert ident != "FEAT-1/SC-1" or ("\nfeature: FEAT-1" in text and "feature_number" not in text), text
    scenario = json.loads(run_cli("show", "FEAT-1/SC-1", "--at", commits["shifted"], "--format", "json",
                                  *where).stdout)
    assert scenario["snapshot"]["feature"] == "FEAT-1"

    diff = run_cli("diff", commits["first"], commits["owner"], "--format", "json", "--path", str(git_repo.path))
    assert diff.returncode == 0, diff.stderr
    assert [(c["id"], c["fields"]) for c in json.loads(diff.stdout)["changes"]] == [("CTR-0001", ["metadata"])]
    text = run_cli("diff", commits["first"], commits["owner"], "--path", str(git_repo.path)).stdout
    assert "[metadata]" in text and "contract_metadata" not in text, text


def test_the_history_page_names_fields_as_the_record_page(shop: Shop) -> None:
    with api_client(shop.engine) as client:
        for url in ("/projects/shop/contracts/CTR-0001", "/projects/shop/adrs/ADR-0001"):
            page = client.get(url)
            assert page.status_code == 200, page.text
            timeline = page.text.split('<ol class="timeline"', 1)[1].split("</ol>", 1)[0]
            assert "<dt>metadata</dt>" in timeline and "metadata</dt>" not in timeline.replace(
                "<dt>metadata</dt>", ""), timeline
            assert "grace" in timeline
