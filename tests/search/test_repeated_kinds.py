"""A kind named twice — ``--kind adrs,adr``, ``--kind adrs --kind adrs``, ``?kind=adrs&kind=adrs`` — is searched once:
each kind's hits were added once per time it was named, so every ADR was listed two or three times (and the best
``limit`` hits were a third as many records)."""

from __future__ import annotations

import json

import pytest

from apikit import api_client
from conftest import run_cli
from search_adrs import adr_engine
from tracertm import db
from tracertm.errors import UsageError
from tracertm.repositories import kind
from tracertm.search.engine import search

OKAPIS = [("ADR-0001", "Okapi habitat", "Forest."), ("ADR-0002", "Okapi diet", "Leaves.")]


def test_a_kind_named_twice_is_searched_once(database_url: str) -> None:
    with adr_engine(database_url, OKAPIS) as engine:
        with db.session(engine) as session:
            once = [h["number"] for h in search(session, "okapi", kinds=[kind("adrs")])]
            assert once == ["ADR-0001", "ADR-0002"]
            twice = search(session, "okapi", kinds=[kind("adrs"), kind("adr"), kind("scenarios")])
            assert [h["number"] for h in twice] == once
        with api_client(engine) as client:
            answer = client.get("/api/v1/search", params=[("q", "okapi"), ("kind", "adrs"), ("kind", "adrs,adr")])
            assert answer.status_code == 200, answer.text
            assert [h["number"] for h in answer.json()["hits"]] == once
    cli = run_cli("search", "okapi", "--kind", "adrs,adr", "--kind", "adrs", "--format", "json",
                  "--database-url", database_url)
    assert cli.returncode == 0, cli.stderr
    assert [h["number"] for h in json.loads(cli.stdout)] == once


def test_a_kind_not_searched_is_named_once(database_url: str) -> None:
    with adr_engine(database_url, OKAPIS) as engine, db.session(engine) as session:
        with pytest.raises(UsageError, match=r"^kind: step-definitions are not indexed"):
            search(session, "okapi", kinds=[kind("step-definitions"), kind("step_definition")])
