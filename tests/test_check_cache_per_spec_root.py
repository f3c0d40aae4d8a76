"""Two projects of one repository (spec roots in sub-folders, each hooked) keep a check cache each: with one file
for the repository, each project's `check --staged` found the other's cache, dropped it and wrote its own, so every
commit re-read every file of both."""

from __future__ import annotations

from conftest import GitRepo
from specs import adr
from tracertm.check_cache import CACHE_NAME
from tracertm.check_cache import locate_cache
from tracertm.checker import check
from tracertm.config import load_settings
from tracertm.engine.scan import Location


def _cached_paths(root: str) -> set[str]:
    location = Location.find(root)
    return {key.split("\t", 1)[1] for key in locate_cache(location, load_settings(location.root)).keys}


def test_each_spec_root_keeps_its_own_cache(git_repo: GitRepo) -> None:
    for svc in ("svc-a", "svc-b"):
        git_repo.write(f"{svc}/.tracertm.toml", "")
        git_repo.write(f"{svc}/docs/adr/0001-one.md", adr(1, f"One of {svc}"))
        git_repo.write(f"{svc}/docs/adr/0002-two.md", adr(2, f"Two of {svc}"))
    git_repo.commit("two projects")
    a, b = str(git_repo.path / "svc-a"), str(git_repo.path / "svc-b")
    git_repo.write("svc-a/docs/adr/0003-three.md", adr(3, "Three"))
    git_repo.git("add", "-A")

    assert check(a, staged=True, all_files=True).ok
    assert check(b, staged=True, all_files=True).ok
    # The first project's cache is still there, whole, after the second's check.
    assert {p for p in _cached_paths(a) if "docs/adr/" in p} >= {"svc-a/docs/adr/0001-one.md"}
    assert not any(p.startswith("svc-b/") for p in _cached_paths(a))
    assert {p for p in _cached_paths(b) if "docs/adr/" in p} >= {"svc-b/docs/adr/0001-one.md"}
    # The repository's own project (spec root at the top) keeps the plain name, as before.
    assert (git_repo.path / ".git" / CACHE_NAME).exists() is False
