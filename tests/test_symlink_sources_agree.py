"""A spec file that is a symbolic link gets one verdict from every source: the work tree (``check``, ``sync``),
the index (``check --staged``, the pre-commit hook) and a commit (``check --ref``, ``sync --ref``), and a plain
folder. A commit that passes ``check`` must not fail the hook, and what ``sync`` stores from the work tree must be
what ``sync --ref HEAD`` stores once it is committed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from conftest import GitRepo, run_cli
from specs import contract
from tracertm.checker import check
from tracertm.engine import scan as scan_module
from tracertm.engine.sync import sync

LINK = "contracts/payment.yaml"


def _errors(diagnostics: list[Any]) -> list[tuple[str, str]]:
    return sorted((d.path, d.message) for d in diagnostics)


def _verdicts(git_repo: GitRepo, engine: Any, make_link: Any) -> dict[str, tuple[list[tuple[str, str]], int]]:
    """Each source's (errors, contracts it stores): the link is added on top of a first commit (so that
    ``check --staged`` runs as the hook does, on what the commit changes), then committed."""
    git_repo.write("contracts/orders.yaml", contract(1, "Orders"))
    git_repo.commit("seed")
    make_link()
    git_repo.git("add", "-A")
    found: dict[str, tuple[list[tuple[str, str]], int]] = {}
    found["check"] = (_errors(check(git_repo.path).errors), -1)
    found["check --staged"] = (_errors(check(git_repo.path, staged=True).errors), -1)
    found["check --staged --no-cache"] = (_errors(check(git_repo.path, staged=True, cache=False).errors), -1)
    git_repo.commit("link")
    found["check --ref HEAD"] = (_errors(check(git_repo.path, ref="HEAD").errors), -1)
    found["check (committed)"] = (_errors(check(git_repo.path).errors), -1)
    worktree = sync(git_repo.path, engine=engine, project="worktree")
    found["sync"] = (_errors(worktree.errors), worktree.counts["contract"]["created"])
    head = sync(git_repo.path, engine=engine, project="head", ref="HEAD")
    found["sync --ref HEAD"] = (_errors(head.errors), head.counts["contract"]["created"])
    return found


def _agree(found: dict[str, tuple[list[tuple[str, str]], int]]) -> list[tuple[str, str]]:
    """The one list of errors every check gives (the hook reports only what the commit changes: the link); the two
    syncs give one list of errors and store the same."""
    checks = {source: verdict[0] for source, verdict in found.items() if source.startswith("check")}
    first = checks["check --ref HEAD"]
    assert all(e == first for e in checks.values()), checks
    assert found["sync"] == found["sync --ref HEAD"], found
    return first


@pytest.mark.parametrize("target", ["shared/payment.yaml.txt", "contracts/real/payment.yaml.txt"])
def test_an_absolute_link_to_a_file_inside_the_repository_is_refused_by_every_source(
    git_repo: GitRepo, engine: Any, target: str
) -> None:
    """An absolute link names a path on the machine that made it: another clone lives elsewhere, so the index and
    commits can never follow it; the work tree must not either, or ``check`` passes what the hook refuses."""
    git_repo.write(target, contract(2, "Payment"))

    def make_link() -> None:
        os.symlink(git_repo.path / target, git_repo.path / LINK)

    found = _verdicts(git_repo, engine, make_link)
    errors = _agree(found)
    assert len(errors) == 1 and errors[0][0] == LINK, errors
    message = errors[0][1]
    assert "absolute target" in message and "make it a relative link" in message and "\n" not in message
    assert str(git_repo.path / target) in message
    assert found["sync"] == (errors, 1), "only CTR-0001 (orders.yaml) is stored"


@pytest.mark.parametrize("target", ["orders.yaml", "real/payment.yaml.txt"])
def test_a_relative_link_is_followed_by_every_source(git_repo: GitRepo, engine: Any, target: str) -> None:
    """The fix the absolute link's error names: a relative link to a file in the repository."""
    git_repo.write("contracts/real/payment.yaml.txt", contract(2, "Payment"))

    def make_link() -> None:
        os.symlink(target, git_repo.path / LINK)

    found = _verdicts(git_repo, engine, make_link)
    errors = _agree(found)
    assert all("symbolic link" not in message for _, message in errors), errors




@pytest.mark.parametrize("dangling", ["missing.yaml", "real/missing.yaml", "../shared/missing.yaml"])
def test_a_dangling_link_named_like_a_spec_file_is_an_error_in_every_source(
    git_repo: GitRepo, engine: Any, dangling: str
) -> None:
    """The work tree used to take a dangling link for a file that vanished and skip it silently (``check`` passed)
    while the hook refused it."""

    def make_link() -> None:
        os.symlink(dangling, git_repo.path / LINK)

    found = _verdicts(git_repo, engine, make_link)
    errors = _agree(found)
    assert errors == [
        (LINK, f"symbolic link to {dangling!r} does not resolve to a file in the repository; fix or remove the link")
    ]
    assert found["sync"] == (errors, 1), "the other files sync"


def test_a_plain_folder_gives_the_same_verdicts(tmp_path: Path) -> None:
    """A folder outside git (scanned from the file system) refuses the same links with the same words."""
    folder = tmp_path / "specs"
    (folder / "contracts/real").mkdir(parents=True)
    (folder / "contracts/real/payment.yaml.txt").write_text(contract(2, "Payment"), encoding="utf-8")
    os.symlink(folder / "contracts/real/payment.yaml.txt", folder / "contracts/absolute.yaml")
    os.symlink("missing.yaml", folder / "contracts/dangling.yaml")
    os.symlink("real/payment.yaml.txt", folder / "contracts/relative.yaml")
    absolute = str(folder / "contracts/real/payment.yaml.txt")
    assert _errors(check(folder).errors) == [
        ("contracts/absolute.yaml", scan_module.link_error("contracts/absolute.yaml", absolute, False).message),
        ("contracts/dangling.yaml", "symbolic link to 'missing.yaml' does not resolve to a file in the repository; "
         "fix or remove the link"),
    ]
    assert "absolute target" in scan_module.link_error("x", absolute, True).message


def test_a_link_or_file_that_vanishes_while_it_is_read_is_still_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A race (the file or link is deleted between the listing and the read) is not a dangling link: skipped."""
    (tmp_path / "real.yaml").write_text("id: CTR-1\n", encoding="utf-8")
    os.symlink("real.yaml", tmp_path / "link.yaml")
    assert scan_module._hash_file(tmp_path, "gone.yaml", "contract") is None
    real_stat = os.stat

    def vanish(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        if str(path).endswith("link.yaml"):
            os.unlink(path)  # deleted between the lstat and the stat
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(scan_module.os, "stat", vanish)
    assert scan_module._hash_file(tmp_path, "link.yaml", "contract") is None


def test_a_link_to_a_committed_file_leaves_the_work_tree_clean(git_repo: GitRepo, engine: Any) -> None:
    """A link's index entry holds its text, the work tree's scan the target's bytes: compared as they stand for the
    same file, a clean tree is clean (its sync records HEAD: ``show --at HEAD`` answers), and a change of the
    target's bytes not yet committed makes the link, not its neighbours, the changed file."""
    from tracertm.config import load_settings

    git_repo.write("shared/payment.yaml.txt", contract(2, "Payment"))
    git_repo.write("contracts/orders.yaml", contract(1, "Orders"))
    os.symlink("../shared/payment.yaml.txt", git_repo.path / LINK)
    git_repo.commit("link")
    location = scan_module.Location.find(git_repo.path)
    assert scan_module.scan(location, load_settings(git_repo.path)).dirty == frozenset()
    sync(git_repo.path, engine=engine)
    shown = run_cli("show", "CTR-0002", "--at", "HEAD", "--path", str(git_repo.path),
                    "--database-url", engine.url.render_as_string(hide_password=False))
    assert shown.returncode == 0, shown.stderr
    git_repo.write("shared/payment.yaml.txt", contract(2, "Payment, renamed"))
    assert scan_module.scan(location, load_settings(git_repo.path)).dirty == frozenset({LINK})
