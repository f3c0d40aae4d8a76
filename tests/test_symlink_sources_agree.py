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
from tracertm.engine import symlinks
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
    link = scan_module._hash_file(tmp_path, "link.yaml", "contract")
    assert link == scan_module._Link("link.yaml", "contract"), "a link is followed with the others"
    real_readlink = os.readlink

    def vanish(path: Any, *args: Any, **kwargs: Any) -> str:
        if str(path).endswith("link.yaml"):
            os.unlink(path)  # deleted between the lstat and the readlink
        return real_readlink(path, *args, **kwargs)

    monkeypatch.setattr(scan_module.os, "readlink", vanish)
    assert scan_module._hash_links(tmp_path, [link], symlinks.outside_dot_git, 1 << 20) == {}


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


def _embedded_repository(git_repo: GitRepo, folder: str, name: str, content: str) -> None:
    """A repository of its own at ``folder`` holding ``name``: added to ``git_repo``, it is a submodule entry (a
    gitlink), and ``folder`` its checkout."""
    from conftest import init_repo

    inner = init_repo(git_repo.path / folder)
    inner.write(name, content)
    inner.commit("inner")


@pytest.mark.parametrize("where", ["git", "ignored", "submodule"])
def test_a_link_to_a_file_the_repository_does_not_hold_is_refused_by_every_source(
    git_repo: GitRepo, engine: Any, where: str
) -> None:
    """A file in ``.git``, one git ignores, one in a submodule's checkout: none is a file of the repository (the
    index and commits never hold them). The work tree took any file below the root, so ``check`` printed
    ``.git/config`` (a credential in ``http.extraheader``) in its annotations and ``sync`` stored an ignored
    ``.env``; the work tree's scan now asks what git holds, as watch's scans of a few paths do."""
    from tracertm.config import load_settings

    target = {"git": ".git/payment.yaml", "ignored": "local/payment.yaml", "submodule": "vendor/payment.yaml"}[where]
    git_repo.write(".gitignore", "local/\n")
    if where == "submodule":
        _embedded_repository(git_repo, "vendor", "payment.yaml", contract(2, "Payment"))
    else:
        git_repo.write(target, contract(2, "Payment"))
    text = f"../{target}"

    def make_link() -> None:
        os.symlink(text, git_repo.path / LINK)

    found = _verdicts(git_repo, engine, make_link)
    errors = _agree(found)
    assert errors == [
        (LINK, f"symbolic link to {text!r} does not resolve to a file in the repository; fix or remove the link")
    ]
    assert found["sync"] == (errors, 1), "only CTR-0001 (orders.yaml) is stored"
    location = scan_module.Location.find(git_repo.path)
    watched = scan_module.scan(location, load_settings(git_repo.path), paths=[LINK])  # as watch scans an event's
    assert [f.error.message if f.error else f.target for f in watched.files.values()] == [errors[0][1]]


def test_the_work_tree_follows_a_link_to_an_untracked_file_git_does_not_ignore(git_repo: GitRepo) -> None:
    """Untracked, not ignored: a file of the work tree as the scan lists it (``git add -A`` would add it), wherever
    it is in the repository — also when only the link's path is scanned (watch)."""
    from tracertm.config import load_settings

    git_repo.write("contracts/orders.yaml", contract(1, "Orders"))
    git_repo.commit("seed")
    git_repo.write("shared/payment.yaml.txt", contract(2, "Payment"))
    os.symlink("../shared/payment.yaml.txt", git_repo.path / LINK)
    assert check(git_repo.path).errors == []
    location = scan_module.Location.find(git_repo.path)
    for paths in (None, [LINK]):
        scanned = scan_module.scan(location, load_settings(git_repo.path), paths=paths).files[LINK]
        assert (scanned.error, scanned.target) == (None, "shared/payment.yaml.txt")


def test_a_plain_folder_never_follows_a_link_into_a_git_folder(tmp_path: Path) -> None:
    """A folder outside git keeps "any file inside the folder", except a ``.git`` folder's (a vendored repository's
    configuration, say)."""
    folder = tmp_path / "specs"
    (folder / "contracts").mkdir(parents=True)
    (folder / "vendor/.git").mkdir(parents=True)
    (folder / "vendor/.git/config").write_text(contract(2, "Secret"), encoding="utf-8")
    (folder / "vendor/payment.yaml.txt").write_text(contract(3, "Payment"), encoding="utf-8")
    os.symlink("../vendor/.git/config", folder / "contracts/secret.yaml")
    os.symlink("../vendor/payment.yaml.txt", folder / "contracts/payment.yaml")
    assert _errors(check(folder).errors) == [
        ("contracts/secret.yaml", "symbolic link to '../vendor/.git/config' does not resolve to a file in the "
         "repository; fix or remove the link"),
    ]


CHAIN = {"shared/payment.yaml.txt": None, "shared/alias.yaml.txt": "payment.yaml.txt", LINK: "../shared/alias.yaml.txt"}


@pytest.mark.parametrize("case", ["chain", "out at the second link", "loop"])
def test_a_chain_of_links_gets_one_verdict_from_every_source(git_repo: GitRepo, engine: Any, case: str) -> None:
    """A link to a link: the work tree followed it (the operating system does) while the index and commits said
    it resolves to no file, so the hook refused a commit ``check`` passed and ``sync --ref`` never stored it. Every
    source follows the chain inside the repository, each link under the rule of the first; a loop is an error."""
    links = dict(CHAIN)
    if case == "out at the second link":
        links["shared/alias.yaml.txt"] = "../.git/payment.yaml"
        git_repo.write(".git/payment.yaml", contract(2, "Payment"))
    elif case == "loop":
        links["shared/payment.yaml.txt"] = "alias.yaml.txt"
    git_repo.write("shared/payment.yaml.txt", contract(2, "Payment"))

    def make_link() -> None:
        for path, text in links.items():
            if text is not None:
                (git_repo.path / path).unlink(missing_ok=True)
                os.symlink(text, git_repo.path / path)

    found = _verdicts(git_repo, engine, make_link)
    errors = _agree(found)
    expected = {
        "chain": [],
        "out at the second link": [
            (LINK, "symbolic link to '../shared/alias.yaml.txt' does not resolve to a file in the repository "
             "(through 'shared/alias.yaml.txt', a link to '../.git/payment.yaml'); fix or remove the link")],
        "loop": [(LINK, "symbolic link loop: '../shared/alias.yaml.txt' leads back to 'shared/alias.yaml.txt'; fix "
                  "or remove the link")],
    }[case]
    assert errors == expected
    assert found["sync"] == (errors, 2 if case == "chain" else 1)


def test_a_chain_longer_than_the_systems_limit_is_an_error() -> None:
    """40 links at most, as ``open`` follows (Linux's MAXSYMLINKS); past that, one error naming the link."""
    answers: dict[str, str | None] = {**{f"l{i}": f"l{i + 1}" for i in range(45)}, "l45": None}  # l45: the file

    def lookup(paths: list[str]) -> dict[str, str | None]:
        return {p: answers[p] for p in paths if p in answers}

    assert symlinks.follow({"l4": "l5"}, lookup)["l4"].error == symlinks.too_long_error("l4", "l5")  # 41 links
    forty = symlinks.follow({"l5": "l6"}, lookup)["l5"]
    assert forty == symlinks.Followed("l45", tuple(f"l{i}" for i in range(6, 46)), None)


def test_backfill_follows_a_chain_and_its_changes(git_repo: GitRepo, engine: Any) -> None:
    """Each commit's link resolved as ``sync --ref`` of it resolves it: the contract is created by the commit
    that links it, and updated by an edit of the file at the chain's end and by re-pointing the link on the way."""
    from sqlalchemy import select

    from tracertm.history.backfill import backfill
    from tracertm.models import SpecRevision

    git_repo.write("contracts/real/payment.yaml.txt", contract(2, "Payment"))
    git_repo.write("contracts/real/other.yaml.txt", contract(2, "Other"))
    os.symlink("payment.yaml.txt", git_repo.path / "contracts/real/alias.yaml.txt")
    os.symlink("real/alias.yaml.txt", git_repo.path / LINK)
    commits = [git_repo.commit("link")]
    git_repo.write("contracts/real/payment.yaml.txt", contract(2, "Payment v2"))
    commits.append(git_repo.commit("edit the file"))
    (git_repo.path / "contracts/real/alias.yaml.txt").unlink()
    os.symlink("other.yaml.txt", git_repo.path / "contracts/real/alias.yaml.txt")
    commits.append(git_repo.commit("re-point the link on the way"))
    result = backfill(git_repo.path, engine=engine, project="p")
    assert not result.errors, result.errors
    t = SpecRevision.__table__.c
    with engine.connect() as conn:
        rows = conn.execute(select(t.change, t.commit_sha).where(t.number == "CTR-0002").order_by(t.version)).all()
    assert [tuple(r) for r in rows] == [("created", commits[0]), ("updated", commits[1]), ("updated", commits[2])]
