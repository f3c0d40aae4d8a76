"""Of two files claiming one id, ``check`` blames the newcomer — the file the work tree or the index changed since
HEAD — as the hook (``check --staged``) and ``sync`` (whose database holds the first) do, whatever their path order."""

from __future__ import annotations

import pytest

from conftest import GitRepo
from specs import contract
from tracertm.cli import main

BLAMED = "contracts/billing.yaml:1:1: contract CTR-0001 is already defined in contracts/payments.yaml"


@pytest.mark.parametrize("staged", [False, True])
def test_check_blames_the_file_changed_since_head(git_repo: GitRepo, capsys: pytest.CaptureFixture[str],
                                                  staged: bool) -> None:
    url = f"sqlite:///{git_repo.path.parent / 'blame.db'}"
    git_repo.write("contracts/payments.yaml", contract(1, "Payments"))
    git_repo.commit("payments")
    assert main(["sync", str(git_repo.path), "--database-url", url]) == 0  # the database holds it from payments
    git_repo.write("contracts/billing.yaml", contract(1, "Billing"))  # sorts first, came later
    if staged:
        git_repo.git("add", "-A")
    outputs = []
    for argv in (["check", str(git_repo.path)], ["check", "--staged", str(git_repo.path)],
                 ["sync", str(git_repo.path), "--database-url", url]):
        if argv[1] == "--staged" and not staged:
            continue
        main(argv)
        out, err = capsys.readouterr()
        outputs.append([line for line in (out + err).splitlines() if "already defined" in line])
    assert all(len(lines) == 1 and lines[0].startswith(BLAMED) for lines in outputs), outputs


def test_both_committed_the_first_by_path_keeps_it(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.write("contracts/payments.yaml", contract(1, "Payments"))
    git_repo.write("contracts/billing.yaml", contract(1, "Billing"))
    git_repo.commit("both")
    main(["check", str(git_repo.path)])
    out, _ = capsys.readouterr()
    assert [line for line in out.splitlines() if "already defined" in line] == [
        "contracts/payments.yaml:1:1: contract CTR-0001 is already defined in contracts/billing.yaml; give one of them "
        "another id"]
