"""The check cache (``.git/tracertm-check-cache``) holds sketches the parsers made of each blob: a tracertm whose
parsers make other records of the same bytes (``parsers.common.PARSER_OUTPUT``, the version a sync parses every file
again for) must not read the sketches an older one wrote. The cache's key held the package and hash-scheme versions
only, so an upgrade that changed the parsers' output alone kept them."""

from __future__ import annotations

import pytest

from conftest import GitRepo
from specs import adr
from tracertm.check_cache import locate_cache
from tracertm.checker import check
from tracertm.config import load_settings
from tracertm.engine.scan import Location
from tracertm.parsers import common


def test_other_parsers_output_drops_the_check_cache(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("one")
    git_repo.write("docs/adr/0002-use-sql.md", adr(2, "Use SQL"))
    git_repo.git("add", "-A")
    assert check(str(git_repo.path), staged=True, all_files=True).ok  # writes the cache
    location = Location.find(git_repo.path)
    settings = load_settings(location.root)
    assert locate_cache(location, settings).keys

    # The next release's parsers (the constant is what a release changes).
    monkeypatch.setattr(common, "PARSER_OUTPUT", common.PARSER_OUTPUT + 1)

    assert not locate_cache(location, settings).keys
