"""A record named by its UUID with its kind prefix (``scenario:<UUID>``), as the web view links a record whose id is
``.`` or ``..`` (a browser resolves such a segment away): ``show``, ``history`` and ``review`` on the command line,
and the API's record paths (the record, its ``/history``, ``/at/{commit}``) and its review, take it as the trace
does — one resolver (``repositories.kinds.prefixed_uuid``) decides for all of them."""

from __future__ import annotations

import json

from apikit import api_client, make_token
from conftest import GitRepo, run_cli
from specs import adr

API = "/api/v1"
# An untagged feature (its id: billing/refund) whose scenario is titled "..", and tags ADR-0003.
REFUNDS = "Feature: Refunds\n  @ADR-0003\n  Scenario: ..\n    Given dots\n"


def _synced(git_repo: GitRepo, url: str) -> tuple[str, str, str]:
    """The project ``dots`` synced twice, the ADR changed in between (the scenario's link to it is suspect): the
    scenario's ``scenario:<UUID>``, the contract's ``contract:<UUID>`` (its id is ``..`` too) and the first commit."""
    from tracertm import db
    from tracertm.engine.sync import sync
    from tracertm.repositories import Projects, Records

    git_repo.write("docs/adr/0003-use-queues.md", adr(3, "Use queues"))
    git_repo.write("features/billing/refund.feature", REFUNDS)
    git_repo.write("contracts/dots.yaml", "id: '..'\ntitle: Dotted contract\n")
    first = git_repo.commit("seed")
    sync(git_repo.path, database_url=url, project="dots", ref="HEAD")
    git_repo.write("docs/adr/0003-use-queues.md", adr(3, "Use queues", decision="Kafka it is."))
    git_repo.commit("kafka")
    sync(git_repo.path, database_url=url, project="dots", ref="HEAD")
    engine = db.make_engine(url)
    try:
        with db.session(engine) as session:
            project = Projects(session).get("dots")
            scenario = Records(session, "scenario").get("billing/refund/..", project).id
            contract = Records(session, "contract").get("..", project).id
    finally:
        engine.dispose()
    return f"scenario:{scenario}", f"contract:{contract}", first


def test_show_history_and_review_take_a_kind_and_uuid(git_repo: GitRepo, database_url: str) -> None:
    scenario, contract, _ = _synced(git_repo, database_url)
    where = ["--project", "dots", "--database-url", database_url]
    shown = run_cli("show", scenario, "--format", "json", *where)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["id"] == scenario.split(":", 1)[1], shown.stdout
    shown = run_cli("show", contract, "--format", "json", *where)
    assert shown.returncode == 0 and json.loads(shown.stdout)["number"] == "..", shown.stdout + shown.stderr
    history = run_cli("history", scenario, *where)
    assert history.returncode == 0 and "created" in history.stdout, history.stdout + history.stderr
    reviewed = run_cli("review", scenario, *where)
    assert reviewed.returncode == 0 and "ADR-0003" in reviewed.stdout, reviewed.stdout + reviewed.stderr
    # Another kind's prefix, or a UUID no record of the project has, is the one-line "not found" it was.
    wrong = run_cli("show", "adr:" + scenario.split(":", 1)[1], *where)
    assert wrong.returncode != 0 and len(wrong.stderr.strip().splitlines()) == 1, wrong.stderr
    assert "Traceback" not in wrong.stderr and wrong.stderr.startswith("tracertm: error: adr:"), wrong.stderr


def test_the_api_record_paths_and_review_take_a_kind_and_uuid(git_repo: GitRepo, database_url: str) -> None:
    scenario, contract, first = _synced(git_repo, database_url)
    token = make_token(database_url)
    with api_client(database_url) as client:
        row_id = scenario.split(":", 1)[1]
        got = client.get(f"{API}/scenarios/{scenario}", params={"project": "dots"})
        assert got.status_code == 200 and got.json()["id"] == row_id, got.text
        got = client.get(f"{API}/contracts/{contract}")
        assert got.status_code == 200 and got.json()["number"] == "..", got.text
        history = client.get(f"{API}/scenarios/{scenario}/history", params={"project": "dots"})
        assert history.status_code == 200 and [r["version"] for r in history.json()] == [1], history.text
        at = client.get(f"{API}/scenarios/{scenario}/at/{first}", params={"project": "dots"})
        assert at.status_code == 200 and at.json()["version"] == 1, at.text
        # A prefix of another kind than the path's names no record of that kind.
        assert client.get(f"{API}/adrs/adr:{row_id}").status_code == 404
        reviewed = client.post(f"{API}/projects/dots/links/review", json={"source": scenario},
                               headers={"Authorization": f"Bearer {token}"})
        assert reviewed.status_code == 200, reviewed.text
        assert [link["target"]["id"] for link in reviewed.json()["reviewed"]] == ["ADR-0003"], reviewed.text
