"""A file name with a newline (or another control character) is printed escaped, on one line, by every text
finding of ``check`` and ``sync`` — it cannot split a finding in two or forge one in a CI log; ``--format github``
escapes CR and LF its own way (``%0A``) and the other control characters as the text format does (``\\x1b``)."""

from __future__ import annotations

import pytest

from conftest import GitRepo
from tracertm.cli import main

NAME = "contracts/a\nforged.feature:7:1: forged finding\x1bb.yaml"


def test_a_control_character_in_a_name_stays_on_the_findings_line(
    git_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    git_repo.write(NAME, "id: CTR-1\ntitle: [broken\n")
    git_repo.git("add", "-A")
    for argv in (["check", str(git_repo.path)], ["sync", str(git_repo.path), "--database-url",
                                                 f"sqlite:///{git_repo.path.parent / 'names.db'}"]):
        main(argv)
        out, err = capsys.readouterr()
        findings = [line for line in (out + err).splitlines() if "YAML" in line or "forged" in line]
        assert findings == ["contracts/a\\nforged.feature:7:1: forged finding\\x1bb.yaml:3:1: YAML syntax error: "
                            + findings[0].split("YAML syntax error: ", 1)[1]], out + err
    main(["check", "--format", "github", str(git_repo.path)])
    out, _ = capsys.readouterr()
    assert "file=contracts/a%0Aforged.feature%3A7%3A1%3A forged finding\\x1bb.yaml" in out


def test_github_annotations_escape_control_characters(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    """An ESC in a file name or in a message (a step's text) was printed as it is in ``--format github``: the CI log
    turned red, or worse. It is escaped as in the text format, the annotation's own %-escapes kept."""
    git_repo.write("contracts/e\x1b[31mred.yaml", "status: bogus\n")
    step = 'from behave import given\n\n@given("x \x1b[31m{a}")\ndef step(context, a):\n    pass\n'
    git_repo.write("features/steps/s.py", step)
    git_repo.commit("controls")
    main(["check", "--format", "github", str(git_repo.path)])
    out, _ = capsys.readouterr()
    assert "\x1b" not in out, out
    assert "::error file=contracts/e\\x1b[31mred.yaml,line=1,col=9::unknown contract status 'bogus'" in out, out
    assert "::warning file=features/steps/s.py,line=3,col=2::unused step definition @given('x \\x1b[31m{a}')" in out


def test_an_error_line_naming_a_control_character_stays_one_line(
    git_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    git_repo.write("contracts/a.yaml", "id: CTR-1\ntitle: A\n")
    git_repo.commit("one")
    url = f"sqlite:///{git_repo.path.parent / 'error.db'}"
    assert main(["sync", str(git_repo.path), "--database-url", url]) == 0
    capsys.readouterr()
    assert main(["show", "CTR-9\nforged: line", "--path", str(git_repo.path), "--database-url", url]) == 2
    _out, err = capsys.readouterr()
    assert err.count("\n") == 1 and err.startswith("tracertm: error: CTR-9\\nforged: line: no "), err
