"""``tracertm token list`` shows when each token was last used, as ``--format json``'s ``last_used_at`` does: a
``last used`` column (to the minute; ``-`` for a token never used). SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest

from apikit import api_client
from tracertm.cli import main


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_token_list_has_a_last_used_column(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    url = ["--database-url", database_url]
    used = _cli(capsys, "token", "create", "--scope", "read", "--label", "dash", *url).strip().splitlines()[-1]
    _cli(capsys, "token", "create", "--scope", "write", "--label", "idle", *url)
    with api_client(database_url) as client:
        response = client.get("/api/v1/projects", headers={"Authorization": f"Bearer {used}"})
        assert response.status_code == 200, response.text[:300]
    listed = json.loads(_cli(capsys, "token", "list", "--format", "json", *url))
    stamps = {t["label"]: t["last_used_at"] for t in listed}
    assert stamps["dash"] is not None and stamps["idle"] is None

    lines = _cli(capsys, "token", "list", *url).splitlines()
    header = lines[0]
    assert "last used" in header
    start = header.index("last used")
    cells = {line.split()[2]: line[start:].split()[0] for line in lines[1:]}
    assert cells["idle"] == "-"
    assert cells["dash"] == stamps["dash"][:16] + "Z", (cells, stamps)  # to the minute, in UTC, spelled as JSON
