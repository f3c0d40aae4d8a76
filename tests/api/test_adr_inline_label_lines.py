"""A git-owned ADR field written as a later label of a one-line header (``**Date:** D | **Status:** Rejected``, a
form the ADR parser reads: tests/parsers/test_adr_one_line_labels.py) is refused by PATCH with a 409 naming that
line, not with ``line_note`` saying the field "is not written in the file" (SQLite and PostgreSQL, through the
HTTP app). A ``| Status:`` the parser does not read as a label (prose, an escaped ``\\|``, a label after ``|``
that is no label of the line) is never the line named."""

from __future__ import annotations

from typing import Any

import pytest

from apikit import api_client, make_token
from conftest import GitRepo
from tracertm.api import ApiSettings
from tracertm.engine.sync import sync

API = "/api/v1"

FILES = {
    # Bold labels, the status after the date.
    "docs/adr/0001-bold.md": "# 1. Bold\n\n**Date:** 2024-01-02 | **Status:** Rejected\n\n## Context\n\nc\n",
    # Plain labels, in a bullet key list; tags and deciders after the pipe.
    "docs/adr/0002-plain.md": "# 2. Plain\n\n* Date: 2024-01-02 | Status: Accepted | Tags: a b | Deciders: Ada\n"
                              "\n## Context\n\nc\n",
    # In the Status section: the date after the status.
    "docs/adr/0003-section.md": "# 3. Section\n\n## Status\n\n**Status:** Accepted | **Date:** 2024-03-04\n\n"
                                "## Context\n\nc\n",
    # Lines the parser does not read as setting a status: prose with a pipe, an escaped pipe, a pipe followed by
    # a bulleted label. The status is the Status section's.
    "docs/adr/0004-prose.md": "# 4. Prose\n\nThe board said | Status: draft, then moved on.\n"
                              "**Date:** 2024-01-02 \\| **Status:** Rejected\n"
                              "**Owner:** Ada | * Status: Rejected\n\n"
                              "## Status\n\nAccepted\n\n## Context\n\nc\n",
}
# ADR → field → the line (1-based) the 409 names.
EXPECTED = {
    "ADR-0001": {"status": 3, "date": 3},
    "ADR-0002": {"status": 3, "date": 3, "tags": 3, "stakeholders": 3},
    "ADR-0003": {"status": 5, "date": 5},
    "ADR-0004": {"status": 9},
}


@pytest.fixture
def repo(git_repo: GitRepo, engine: Any) -> GitRepo:
    for path, text in FILES.items():
        git_repo.write(path, text)
    git_repo.commit("seed")
    result = sync(git_repo.path, engine=engine, project="shop")
    assert not result.errors, result.errors
    return git_repo


def test_the_parser_reads_what_the_lines_name(repo: GitRepo, engine: Any) -> None:
    """The premise: the values the 409s point at are the ones the parser took from those lines."""
    with api_client(engine, ApiSettings(repositories={"shop": str(repo.path)})) as client:
        got = {ident: client.get(f"{API}/adrs/{ident}").json() for ident in EXPECTED}
    assert (got["ADR-0001"]["status"], got["ADR-0001"]["date"]) == ("rejected", "2024-01-02")
    assert (got["ADR-0002"]["status"], got["ADR-0002"]["tags"], got["ADR-0002"]["stakeholders"]) == \
           ("accepted", ["a", "b"], ["Ada"])
    assert (got["ADR-0003"]["status"], got["ADR-0003"]["date"]) == ("accepted", "2024-03-04")
    assert got["ADR-0004"]["status"] == "accepted"


def test_a_label_after_a_pipe_is_the_line_to_edit(repo: GitRepo, engine: Any) -> None:
    token = make_token(engine)
    headers = {"Authorization": f"Bearer {token}", "If-Match": "*"}
    with api_client(engine, ApiSettings(repositories={"shop": str(repo.path)})) as client:
        for ident, fields in EXPECTED.items():
            path = client.get(f"{API}/adrs/{ident}").json()["source_path"]
            for field, line in fields.items():
                response = client.patch(f"{API}/adrs/{ident}", json={field: "x"}, headers=headers)
                assert response.status_code == 409, (ident, field, response.text)
                problem = response.json()
                assert (problem["source_path"], problem["line"]) == (path, line), (ident, field, problem)
                assert "line_note" not in problem, (ident, field, problem)
                assert f"{path}:{line}" in problem["detail"], (ident, field, problem)
            assert client.get(f"{API}/adrs/{ident}").json()["version"] == 1  # nothing written
