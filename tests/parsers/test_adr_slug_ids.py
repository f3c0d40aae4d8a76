"""Front matter ids with a slug (``id: ADR-0001-use-x``, as real projects write them).

Such an id is kept as written (README "Identity": front matter ``id``; ``identity.normalise_id`` only turns a bare
``ADR-7`` / ``7`` into ``ADR-0007``). So a reference written as that id names that ADR (``ADR_ID_RE`` used to cut
``ADR-0001`` out of it: "refers to ADR-0001, which is not an ADR"), the front matter's own ``id:`` line is no
reference (it used to be read as a mention of ADR-0001), and an H1 ``# ADR-0001: Use X`` is numbered with the
ADR's own number. A reference to an ADR that does not exist is still reported, slug or not.
"""

from __future__ import annotations

import pytest

from conftest import GitRepo
from tracertm.check_cache import CACHE_NAME
from tracertm.cli import main
from tracertm.parsers.adr import parse
from tracertm.parsers.records import ParserOptions, SpecRecord
from tracertm.sketches import sketch_result, sketch_text

USE_X = """---
id: ADR-0001-use-x
status: accepted
date: 2024-01-02
---

# ADR-0001: Use X

## Context

We need X.

## Decision

Use X.
"""

USE_Y = """---
id: ADR-0002-use-y
status: accepted
date: 2024-01-03
supersedes: ADR-0001-use-x
---

# ADR-0002: Use Y

## Context

Builds on ADR-0001-use-x; see also ADR-0009-use-z.

## Decision

Use Y.

## Links

- Refined by ADR-0042
"""


def only(path: str, text: str) -> SpecRecord:
    result = parse(path, text.encode())
    assert result.warnings == ()
    (record,) = result.records
    return record


def test_the_own_id_line_and_heading_name_no_other_adr() -> None:
    record = only("docs/adr/0001-use-x.md", USE_X)
    assert record.number == "ADR-0001-use-x"
    assert record.fields["related_adrs"] == []
    assert record.fields["title"] == "Use X"  # the H1's ADR-0001 is the id's number: taken off, no warning


@pytest.mark.parametrize("line", ["id: adrs-adr001", "id: 'ADR-0001-use-x'  # the id", "number: ADR-0001-use-x"])
def test_no_form_of_the_own_id_line_is_a_reference(line: str) -> None:
    record = only("docs/adr/use-x.md", f"---\n{line}\nstatus: accepted\n---\n\n# Use X\n\nText.\n")
    assert record.fields["related_adrs"] == []


def test_a_comment_on_the_id_line_still_names_other_adrs() -> None:
    record = only("docs/adr/use-x.md", "---\nid: ADR-0001-use-x  # replaces ADR-0007\nstatus: accepted\n---\n\n# X\n")
    assert record.fields["related_adrs"] == ["ADR-0007"]
    assert record.ref_lines == {"ADR-0007": 2}


def test_references_written_as_a_slugged_id_keep_the_slug() -> None:
    record = only("docs/adr/0002-use-y.md", USE_Y)
    assert record.number == "ADR-0002-use-y"
    assert record.fields["supersedes"] == "ADR-0001-use-x"
    # Relations first (front matter, Links section), then mentions in text order.
    assert record.fields["related_adrs"] == ["ADR-0001-use-x", "ADR-0042", "ADR-0009-use-z"]
    assert record.ref_lines == {"ADR-0001-use-x": 5, "ADR-0009-use-z": 12, "ADR-0042": 20}


@pytest.mark.parametrize(
    ("prose", "targets"),
    [
        ("Supersedes ADR-0001-use-x", ["ADR-0001-use-x"]),
        ("adr_0003_use_kafka and ADR-7", ["adr_0003_use_kafka", "ADR-0007"]),
        # The name of an ADR file or folder is its number, as a link to it is (``file_identity``).
        ("see ADR-0005-use-kafka.md and decisions/ADR-0006-use-redis/README.md", ["ADR-0005", "ADR-0006"]),
        # A range and two ids joined by a dash are no slugs; neither is a trailing dash or full stop.
        ("ADR-0001-0003, ADR-0004-ADR-0005, ADR-0008-, ADR-0009.", ["ADR-0001", "ADR-0004", "ADR-0005",
                                                                    "ADR-0008", "ADR-0009"]),
        ("`ADR-0011-in-code` and <https://example.org/ADR-0012-elsewhere>", []),
    ],
)
def test_what_a_slugged_mention_names(prose: str, targets: list[str]) -> None:
    record = only("docs/adr/0020-twenty.md", f"# 20. Twenty\n\n## Status\n\nAccepted\n\n## Context\n\n{prose}\n")
    assert record.fields["related_adrs"] == targets


def _check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    code = main(["check", *argv])
    return code, capsys.readouterr().out.splitlines()


DANGLING = "which is not an ADR of this repository; fix the id or add the ADR"


def test_check_on_a_repository_with_slugged_ids(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.write("docs/adr/0001-use-x.md", USE_X)
    git_repo.write("docs/adr/0002-use-y.md", USE_Y)
    git_repo.commit("slugged ids")
    repo = str(git_repo.path)
    # Only the two references to ADRs that do not exist, each at its line: none at an id line, none for ADR-0001.
    expected = [
        f"docs/adr/0002-use-y.md:12:1: related_adrs refers to ADR-0009-use-z, {DANGLING}",
        f"docs/adr/0002-use-y.md:20:1: related_adrs refers to ADR-0042, {DANGLING}",
    ]
    assert _check(capsys, repo) == (1, expected)
    (git_repo.path / ".git" / CACHE_NAME).unlink(missing_ok=True)
    git_repo.write("docs/adr/0002-use-y.md", USE_Y.replace("ADR-0042", "ADR-0001-use-x"))
    git_repo.write("docs/adr/0003-use-z.md", USE_X.replace("ADR-0001", "ADR-0009").replace("use-x", "use-z"))
    git_repo.commit("the references are fixed")
    assert _check(capsys, repo) == (0, [])
    assert _check(capsys, repo, "--staged") == (0, [])


@pytest.mark.parametrize("cache", ["cold", "warm"])
def test_removing_a_slugged_adr_flags_the_unchanged_files_naming_it(
    git_repo: GitRepo, capsys: pytest.CaptureFixture[str], cache: str
) -> None:
    git_repo.write("docs/adr/0001-use-x.md", USE_X)
    git_repo.write("docs/adr/0002-use-y.md", USE_Y.replace("; see also ADR-0009-use-z", "").replace("ADR-0042", ""))
    git_repo.commit("slugged ids")
    repo = str(git_repo.path)
    assert _check(capsys, repo) == (0, [])  # writes the exact cache
    if cache == "cold":
        (git_repo.path / ".git" / CACHE_NAME).unlink()
    git_repo.git("rm", "-q", "docs/adr/0001-use-x.md")
    code, out = _check(capsys, repo, "--staged")
    # (at the front matter value's column, 13)
    assert (code, out) == (1, [f"docs/adr/0002-use-y.md:5:13: supersedes refers to ADR-0001-use-x, {DANGLING}"])


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("docs/adr/0001-use-x.md", USE_X),
        ("docs/adr/0002-use-y.md", USE_Y),
        ("docs/adr/0020-twenty.md", "# 20. Twenty\n\nSee ADR-0001-use-ADR-0002, adr_0003_use_kafka, ADR-0004-x.md\n"),
    ],
)
def test_the_hooks_rough_sketch_names_every_slugged_reference(path: str, text: str) -> None:
    """A hook sketches files it has no cache for by regular expressions: their references must include every
    reference of a real parse (else removing a slugged ADR would not flag the unchanged files naming it)."""
    data = text.encode()
    exact = sketch_result(parse(path, data))
    rough = sketch_text(path, "adr", data, ParserOptions())
    assert [r.number for r in rough.records] == [r.number for r in exact.records]
    assert {t for _, t in exact.records[0].refs} <= {t for _, t in rough.records[0].refs}
