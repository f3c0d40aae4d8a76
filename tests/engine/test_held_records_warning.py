"""Records of a file that went away are kept while a new file of its kind does not parse (it may be the same file,
renamed and broken). With two such new files, the warning names both — as printed elsewhere, a name that is not
UTF-8 escaped — instead of blaming the first one for every removed file."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import GitRepo, run_cli


def test_the_warning_names_every_new_broken_file_of_the_kind(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.write("contracts/ledger.yaml", "id: CTR-1\ntitle: Ledger\n")
    git_repo.write("contracts/public-api.yaml", "id: CTR-2\ntitle: Public API\n")
    git_repo.commit()
    url = f"sqlite:///{tmp_path / 'held.db'}"
    assert run_cli("sync", str(git_repo.path), "--database-url", url).returncode == 0
    # One renamed to a name that is not UTF-8, the other renamed and broken.
    root = os.fsencode(git_repo.path)
    os.rename(root + b"/contracts/ledger.yaml", root + b"/contracts/led\xffger.yaml")
    git_repo.remove("contracts/public-api.yaml")
    git_repo.write("contracts/pub.yaml", "id: CTR-2\ntitle: [broken\n")
    git_repo.git("add", "-A")
    result = run_cli("sync", str(git_repo.path), "--database-url", url)
    gone = [line for line in result.stderr.splitlines() if "file is gone" in line]
    assert len(gone) == 2, result.stderr
    for line in gone:
        assert "while contracts/led\\xffger.yaml or contracts/pub.yaml does not parse (a rename?); fix them" in line
        assert "\\udc" not in line, line
    listed = run_cli("list", "contracts", "--path", str(git_repo.path), "--database-url", url)
    assert "CTR-1" in listed.stdout and "CTR-2" in listed.stdout  # both records kept
