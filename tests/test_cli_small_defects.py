"""Small defects, each through the command line: a blank ``hook install --sync-on`` is a usage error; an ADR that
supersedes itself (or is superseded by itself) is a warning at the reference's line; an intent-to-add spec file
(``git add -N``) does not count as a match of a configured glob in ``check --staged``."""

from __future__ import annotations

import pytest

from conftest import GitRepo
from specs import adr
from test_cli_options_more import _cli, _one_line
from tracertm.cli import main
from tracertm.parsers.adr import parse


# ------------------------------------------------------------------------------------------ hook --sync-on


@pytest.mark.parametrize("value", ["", "  ", ",", " , "])
def test_blank_sync_on_is_one_usage_line_and_changes_no_hook(
    value: str, git_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """It was accepted as "no stage": exit 0, and the sync hooks installed before were removed."""
    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    git_repo.commit("seed")
    assert main(["hook", "install", str(git_repo.path), "--sync-on", "post-commit"]) == 0
    capsys.readouterr()
    hooks = git_repo.path / ".git" / "hooks"
    before = sorted(p.name for p in hooks.iterdir() if not p.name.endswith(".sample"))

    code, out, err = _cli(capsys, "hook", "install", str(git_repo.path), "--sync-on", value)

    assert code == 2 and out == ""
    assert "--sync-on" in _one_line(err)
    assert sorted(p.name for p in hooks.iterdir() if not p.name.endswith(".sample")) == before
    assert "post-commit" in before


# ------------------------------------------------------------------------------------- ADR naming itself

SELF_REFERENCES = [
    pytest.param(
        "docs/adr/0003-x.md",
        "# 3. X\n\nDate: 2024-01-03\n\n## Status\n\nSuperseded by [3. X](0003-x.md)\n\n## Context\n\nc\n",
        7, "superseded by ADR-0003", id="status-section-superseded-by",
    ),
    pytest.param(
        "docs/adr/0004-y.md",
        "---\nstatus: accepted\nsupersedes: ADR-4\n---\n# Y\n\nSee ADR-0004.\n",
        3, "supersedes ADR-0004", id="front-matter-supersedes",
    ),
    pytest.param(
        "docs/adr/0005-z.md",
        "# 5. Z\n\n* Status: accepted\n* Supersedes: [5](0005-z.md)\n",
        4, "supersedes ADR-0005", id="key-list-supersedes",
    ),
    pytest.param(
        "docs/adr/0006-w.md",
        "# ADR-0006: W\n\n**Status:** Accepted\n\n## Links\n\n- Superseded by ADR-0006\n",
        7, "superseded by ADR-0006", id="links-section-superseded-by",
    ),
]


@pytest.mark.parametrize(("path", "text", "line", "said"), SELF_REFERENCES)
def test_adr_naming_itself_as_successor_or_predecessor_is_a_warning_at_its_line(
    path: str, text: str, line: int, said: str, git_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """It was dropped in silence (no finding at all)."""
    git_repo.write(path, text)
    git_repo.commit("adr")

    code, out, err = _cli(capsys, "check", str(git_repo.path))

    assert code == 0, out + err
    assert f"{path}:{line}:1: warning: {said}, which is this ADR itself" in out + err
    # Still never stored as a link to itself.
    fields = parse(path, text.encode()).records[0].fields
    assert fields["supersedes"] is None and fields["superseded_by"] is None
    assert fields["adr_number"] not in fields["related_adrs"]
    # --strict makes it an error, as every warning.
    assert main(["check", "--strict", str(git_repo.path)]) == 1


def test_adr_superseding_another_is_not_warned_about(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.write("docs/adr/0001-a.md", adr(1, "A", status="Superseded by [2. B](0002-b.md)"))
    git_repo.write("docs/adr/0002-b.md", adr(2, "B", extra="\nSupersedes [1. A](0001-a.md)\n"))
    git_repo.commit("adrs")
    code, out, err = _cli(capsys, "check", str(git_repo.path))
    assert code == 0 and "itself" not in out + err


def test_adr_warnings_are_at_column_1_as_every_whole_line_finding(git_repo: GitRepo,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """The ADR parser's warnings said column 0 (``0013-x.md:1:0: warning: …``), which means "unknown" and which
    no editor jumps to; dangling links, shared ids and every other whole-line finding say 1."""
    git_repo.write("docs/adr/0013-x.md", "# 7. Seven\n\n## Status\n\nAccepted\n")
    git_repo.write("docs/adr/0014-y.md", "---\ntitle: Y\ntitle: Why\n---\n# Y\n\nNo status here.\n")
    git_repo.commit("adrs")
    code, out, err = _cli(capsys, "check", str(git_repo.path))
    assert code == 0, out + err
    found = sorted(line.split(" warning: ")[0] for line in (out + err).splitlines() if " warning: " in line)
    assert found == ["docs/adr/0013-x.md:1:1:", "docs/adr/0014-y.md:1:1:", "docs/adr/0014-y.md:3:1:"], out + err


# --------------------------------------------------------------------------------- intent-to-add entries


def test_intent_to_add_file_is_no_match_of_a_configured_glob_in_check_staged(
    git_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """The commit will not hold a ``git add -N`` entry: the glob it alone matches matches nothing of the commit
    (it was silently taken as matching, hiding the warning)."""
    git_repo.write(".tracertm.toml", 'adr_paths = ["decisions/*.md"]\n')
    git_repo.write("README", "x\n")
    git_repo.commit("config")
    git_repo.write("decisions/0001-x.md", adr(1, "X"))
    warning = ".tracertm.toml:1:14: warning: adr_paths matched nothing: no file matches 'decisions/*.md'"

    code, out, err = _cli(capsys, "check", "--staged", str(git_repo.path))
    assert code == 0 and warning in out + err  # not staged at all: the warning

    git_repo.git("add", "-N", "decisions/0001-x.md")
    code, out, err = _cli(capsys, "check", "--staged", str(git_repo.path))
    assert code == 0 and warning in out + err  # intent to add: still not the commit's

    git_repo.git("add", "decisions/0001-x.md")
    code, out, err = _cli(capsys, "check", "--staged", str(git_repo.path))
    assert code == 0 and "matched nothing" not in out + err, out + err  # staged: it matches
