"""CRLF checkouts use git's own blob ids: a no-op sync parses nothing, and --ref stores the same ids (item 9)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from conftest import GitRepo
from specs import adr, feature
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import ADR, SourceFile


def _checkout_again(repo: GitRepo) -> None:
    repo.git("rm", "-q", "--cached", "-r", ".")
    repo.git("reset", "-q", "--hard")


def _blob_ids(engine: object) -> dict[str, str]:
    with db.session(engine) as s:  # type: ignore[arg-type]
        return dict(s.execute(select(SourceFile.path, SourceFile.blob_sha)).all())  # type: ignore[arg-type]


@pytest.mark.parametrize("how", ["gitattributes", "autocrlf"])
def test_a_crlf_checkout_is_not_parsed_again(git_repo: GitRepo, database_url: str, how: str) -> None:
    if how == "gitattributes":
        git_repo.write(".gitattributes", "*.md text eol=crlf\n*.feature text eol=crlf\n")
    else:
        git_repo.git("config", "core.autocrlf", "true")
    git_repo.write("docs/adr/0001-a.md", adr(1, "One"))
    git_repo.write("features/f.feature", feature(1, "Things"))
    git_repo.commit()
    _checkout_again(git_repo)
    assert b"\r\n" in (git_repo.path / "docs/adr/0001-a.md").read_bytes()  # really a CRLF checkout
    index = {p: git_repo.git("rev-parse", f":{p}") for p in ("docs/adr/0001-a.md", "features/f.feature")}

    engine = db.make_engine(database_url)
    try:
        first = sync(git_repo.path, engine=engine)
        assert first.files_parsed == 2 and not first.errors
        assert _blob_ids(engine) == index
        again = sync(git_repo.path, engine=engine)
        assert again.files_parsed == 0 and not again.changed
        # --ref reads the committed blobs: the same ids, so nothing to parse either.
        assert sync(git_repo.path, ref="HEAD", engine=engine).files_parsed == 0
        assert _blob_ids(engine) == index

        # An edit (CRLF on disk) gets the id its blob will have once committed.
        git_repo.write("docs/adr/0001-a.md", adr(1, "One, edited").replace("\n", "\r\n"))
        edited = sync(git_repo.path, engine=engine)
        assert edited.files_parsed == 1
        with db.session(engine) as s:
            assert s.execute(select(ADR.title)).scalar_one() == "One, edited"
        git_repo.commit("edit")
        assert _blob_ids(engine)["docs/adr/0001-a.md"] == git_repo.git("rev-parse", ":docs/adr/0001-a.md")
        assert sync(git_repo.path, engine=engine).files_parsed == 0
    finally:
        engine.dispose()
