"""A repository whose ``.gitattributes`` puts Git LFS's filter on binary kinds (``*.png filter=lfs``) pays no
``git check-attr`` on each sync: only an attribute that may transform a file tracertm reads does (``ident``,
``working-tree-encoding``, a ``filter`` on anything else)."""

from __future__ import annotations

import pytest

from conftest import GitRepo
from tracertm.git.tree import _may_transform, may_have_attributes


@pytest.mark.parametrize(("line", "expected"), [
    (b"*.png filter=lfs diff=lfs merge=lfs -text", False),
    (b"*.PSD filter=lfs", False),
    (b"* text=auto eol=lf", False),
    (b"# docs/adr/*.md ident", False),
    (b"docs/adr/*.md ident", True),
    (b"*.yaml working-tree-encoding=UTF-16", True),
    (b"contracts/*.yaml filter=lfs", True),
    (b"*.md filter=crypt", True),
    (b"[attr]secret filter=crypt", True),
])
def test_which_attribute_lines_may_transform_a_spec_file(line: bytes, expected: bool) -> None:
    assert _may_transform(line) is expected


def test_lfs_on_images_asks_git_nothing(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(git_repo.path.parent / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(git_repo.path.parent / "home" / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    git_repo.write(".gitattributes", "*.png filter=lfs diff=lfs merge=lfs -text\n*.jpg filter=lfs -text\n")
    assert not may_have_attributes(git_repo.path, ("docs/adr",), [])
    git_repo.write(".gitattributes", "*.png filter=lfs diff=lfs merge=lfs -text\ndocs/adr/*.md ident\n")
    assert may_have_attributes(git_repo.path, ("docs/adr",), [])
