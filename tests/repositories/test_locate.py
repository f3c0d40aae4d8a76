"""Finding the line of a git-owned field in its file (for "edit path:line instead" answers)."""

from __future__ import annotations

from pathlib import Path

from conftest import SAMPLE_REPO
from tracertm.repositories.locate import field_line, line_in_file


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_fields_of_each_kind() -> None:
    contract = (SAMPLE_REPO / "contracts/ledger.yaml").read_text(encoding="utf-8")
    assert field_line(contract, "contract", "title") == _line_of(contract, "title: Ledger database")
    assert field_line(contract, "contract", "contract_type") == _line_of(contract, "type: database")
    assert field_line(contract, "contract", "invariants") == _line_of(contract, "invariants:")
    adr_path = next(SAMPLE_REPO.glob("docs/adr/0005*.md"))
    adr = adr_path.read_text(encoding="utf-8")
    assert field_line(adr, "adr", "title") == next(i for i, l in enumerate(adr.splitlines(), 1) if l.startswith("# "))
    decision = field_line(adr, "adr", "decision")
    assert decision is not None and "decision" in adr.splitlines()[decision - 1].lower()
    feature_path = next(SAMPLE_REPO.glob("features/**/*.feature"))
    feature = feature_path.read_text(encoding="utf-8")
    assert field_line(feature, "feature", "name") == _line_of(feature, "Feature:")
    assert field_line(feature, "feature", "nothing_like_this") is None


def test_files_outside_the_repository_are_never_read(tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    (tmp_path / "secret.yaml").write_text("title: secret\n", encoding="utf-8")
    assert line_in_file(tmp_path / "repo", "../secret.yaml", "contract", "title") is None
    (tmp_path / "repo" / "link.yaml").symlink_to(tmp_path / "secret.yaml")
    assert line_in_file(tmp_path / "repo", "link.yaml", "contract", "title") is None
    assert line_in_file(tmp_path / "repo", "missing.yaml", "contract", "title") is None


def test_an_adr_titled_by_its_one_h2_heading_names_that_line() -> None:
    # An ADR with no H1 whose one H2 sits over ### sections is titled by that H2 (the parser's rule): its title's
    # line is that heading, not "comes from the file name"; a `# x` line in a code block is no title either.
    adr = "## Use PostgreSQL\n\n### Status\n\nAccepted\n\n### Context\n\n```sh\n# psql\n```\n\n### Decision\n\nYes.\n"
    assert field_line(adr, "adr", "title") == 1
    front = "---\nstatus: accepted\n---\n" + adr
    assert field_line(front, "adr", "title") == 4
    assert field_line("### Status\n\nAccepted\n\n```\n# not a title\n```\n", "adr", "title") is None
