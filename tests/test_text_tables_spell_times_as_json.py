"""The times of the CLI's text tables are spelled as its JSON spells them (``tracertm.timetext``): UTC ending in
``Z``. ``history`` and ``token list`` printed ``+00:00`` beside ``--format json``'s ``Z`` — one instant in two
spellings, which a script comparing the two outputs as text takes for two."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import GitRepo, run_cli
from specs import adr

SECONDS_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def test_token_list_and_revoke_spell_times_with_z(tmp_path: Path) -> None:
    url = ["--database-url", f"sqlite:///{tmp_path / 'specs.db'}"]
    assert run_cli("token", "create", "--scope", "read", "--label", "dash", *url).returncode == 0
    prefix = run_cli("token", "list", *url).stdout.splitlines()[1].split()[0]
    assert run_cli("token", "revoke", prefix, *url).returncode == 0
    lines = run_cli("token", "list", *url).stdout.splitlines()
    header, row = lines[0], lines[1]
    created = row[header.index("created"):].split()[0]
    revoked = row[header.index("revoked"):].split()[0]
    listed = json.loads(run_cli("token", "list", "--format", "json", *url).stdout)[0]
    assert SECONDS_Z.match(created) and SECONDS_Z.match(revoked), row
    assert created == re.sub(r"(\.\d+)?Z$", "Z", listed["created_at"]), (created, listed)
    again = run_cli("token", "revoke", prefix, *url)
    assert again.returncode == 0 and f"was already revoked, at {revoked}; nothing changed" in again.stdout, again


def test_history_table_dates_are_the_json_dates(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("seed", date="2024-03-01T10:00:00+02:00")  # an offset: shown in UTC
    url = ["--database-url", f"sqlite:///{tmp_path / 'specs.db'}"]
    assert run_cli("sync", str(git_repo.path), "--ref", "HEAD", *url).returncode == 0  # revisions name the commit
    table = run_cli("history", "ADR-0001", "--path", str(git_repo.path), *url).stdout.splitlines()
    header, row = table[0], table[1]
    date = row[header.index("date"):].split()[0]
    assert date == "2024-03-01T08:00:00Z", row
    revisions = json.loads(run_cli("history", "ADR-0001", "--format", "json", "--path", str(git_repo.path),
                                   *url).stdout)
    assert date == (revisions[0]["authored_at"] or revisions[0]["committed_at"]), revisions[0]
