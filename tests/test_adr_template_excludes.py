"""ADR template files beside the ADRs are not ADRs: ``0000-template.md`` (the Rust-RFC style many ADR folders copy),
``0000-TEMPLATE.md``, and MADR 4's ``adr-template-minimal.md`` / ``adr-template-bare.md`` /
``adr-template-bare-minimal.md`` (github:adr/madr ``template/``) were synced as ADR-0000 or as slug ADRs. MADR's own
``0000-use-markdown-architectural-decision-records.md`` is a real ADR numbered 0000, and an ADR *about* a template
(``0007-pull-request-template.md``) is one too: neither is excluded."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import GitRepo, run_cli
from tracertm.config import load_settings

TEMPLATE = "# Title\n\n## Status\n\nProposed\n\n## Context\n\nWhat is the issue?\n\n## Decision\n\nWhat we do.\n"


@pytest.mark.parametrize(
    "path",
    [
        "docs/adr/0000-template.md",
        "docs/adr/0000-TEMPLATE.md",
        "docs/adr/000-template.md",
        "docs/adr/TEMPLATE.md",
        "docs/decisions/adr-template-minimal.md",
        "docs/decisions/adr-template-bare.md",
        "docs/decisions/adr-template-bare-minimal.md",
        # already excluded before
        "docs/decisions/adr-template.md",
        "doc/adr/templates/template.md",
    ],
)
def test_template_files_are_not_adrs(tmp_path: Path, path: str) -> None:
    assert load_settings(tmp_path).kind_of(path) is None


@pytest.mark.parametrize(
    "path",
    [
        "docs/decisions/0000-use-markdown-architectural-decision-records.md",
        "docs/adr/0007-pull-request-template.md",
        "docs/adr/0001-templates.md",
    ],
)
def test_adrs_named_like_templates_are_adrs(tmp_path: Path, path: str) -> None:
    assert load_settings(tmp_path).kind_of(path) == "adr"


def test_a_template_written_in_adr_paths_is_read(tmp_path: Path) -> None:
    """A glob in the configuration wins over a default exclude: the way to keep a template synced on purpose."""
    (tmp_path / ".tracertm.toml").write_text('adr_paths = ["docs/adr/*.md"]\n')
    assert load_settings(tmp_path).kind_of("docs/adr/0000-TEMPLATE.md") == "adr"


def test_sync_makes_no_adr_0000_of_the_template(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.write("docs/adr/0000-TEMPLATE.md", TEMPLATE)
    git_repo.write("docs/adr/0001-use-postgres.md", TEMPLATE.replace("# Title", "# 1. Use PostgreSQL"))
    git_repo.commit("seed")
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert run_cli("sync", str(git_repo.path), "--database-url", url).returncode == 0
    listed = run_cli("list", "adrs", "--path", str(git_repo.path), "--database-url", url)
    assert listed.returncode == 0, listed.stderr
    assert "ADR-0001" in listed.stdout and "ADR-0000" not in listed.stdout, listed.stdout
