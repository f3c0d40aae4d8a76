"""A ``.feature`` file that is not UTF-8 is read in the encoding its ``# encoding: NAME`` comment names, as
cucumber-jvm's gherkin reads it (``io.cucumber.gherkin.EncodingParser``: the comment counts when only comment and
blank lines come before it). Before, such a file was an error ("invalid UTF-8 … save the file as UTF-8"): ``check``
failed on a file cucumber-jvm runs, ``sync`` left its feature out, and ``steps`` called the definitions only it uses
unused. A file that is UTF-8 is read as UTF-8 whatever its comment says (cucumber-js, behave and pytest-bdd read
UTF-8 alone), and a file no comment explains is the error it was.

The shape is cucumber-jvm's own ``cucumber-java/src/test/resources/io/cucumber/java/annotation/
french-iso-8859-1-cukes.feature`` and its ``FrenchSteps.java`` (https://github.com/cucumber/cucumber-jvm, MIT
licence), whose test suite runs that Latin-1 file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import GitRepo, run_cli
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.errors import ParseError
from tracertm.parsers.feature import parse
from tracertm.repositories.locate import read_text

LATIN_1 = (
    "# language: fr\n"
    "# encoding: ISO-8859-1\n"
    "Fonctionnalité: Concombres dans ISO-8859-1\n"
    "\n"
    "  Scénario: dans la ventre\n"
    "    Étant donné j'ai 5 concombres\n"
).encode("iso-8859-1")
STEPS = """\
import io.cucumber.java.fr.Étantdonné;

public class FrenchSteps {
    @Étantdonné("j'ai {int} concombres")
    public void jai_concombres(int n) {}
}
"""


def test_the_declared_encoding_reads_the_file() -> None:
    record, = parse("features/cukes.feature", LATIN_1).records
    assert record.fields["name"] == "Concombres dans ISO-8859-1"
    scenario, = record.children
    assert scenario.fields["title"] == "dans la ventre"
    assert [s["text"] for s in scenario.fields["given_steps"]] == ["j'ai 5 concombres"]
    # CRLF line ends and a Windows code page, lower-case and spaced as people write it.
    crlf = b"#encoding : windows-1252\r\nFeature: caf\xe9 \x80\r\n  Scenario: s\r\n    Given x\r\n"
    assert parse("features/w.feature", crlf).records[0].fields["name"] == "café €"


@pytest.mark.parametrize(
    ("why", "data"),
    [
        ("no comment names an encoding", b"Feature: caf\xe9\n"),
        ("the comment comes after the feature's first line", b"Feature: caf\xe9\n# encoding: latin-1\n"),
        ("an encoding Python does not know", b"# encoding: latin-42\nFeature: caf\xe9\n"),
        ("an encoding that does not write the comment as ASCII does", b"# encoding: utf-16\nFeature: caf\xe9\n"),
        ("a codec of bytes to bytes, not of text", b"# encoding: base64\nFeature: caf\xe9\n"),
        ("a codec of text to text", b"# encoding: rot13\nFeature: caf\xe9\n"),
        ("bytes that are no text in the encoding named", b"# encoding: ascii\nFeature: caf\xe9\n"),
    ],
)
def test_a_file_no_comment_explains_is_refused_as_before(why: str, data: bytes) -> None:
    with pytest.raises(ParseError) as raised:
        parse("features/x.feature", data)
    assert "invalid UTF-8" in str(raised.value) and "save the file as UTF-8" in str(raised.value), why


def test_a_utf8_file_is_read_as_utf8_whatever_its_comment_says() -> None:
    data = "# encoding: ISO-8859-1\nFeature: café\n  Scenario: s\n    Given x\n".encode()
    assert parse("features/x.feature", data).records[0].fields["name"] == "café"


def test_a_markdown_feature_has_no_such_comment() -> None:
    # cucumber-js reads *.feature.md, in UTF-8 only; a "#" line there is a heading.
    with pytest.raises(ParseError, match="invalid UTF-8"):
        parse("features/x.feature.md", b"# encoding: latin-1\n# Feature: caf\xe9\n")


def test_the_line_finder_reads_it_as_the_parser_does(tmp_path: Path) -> None:
    (tmp_path / "features").mkdir()
    (tmp_path / "features" / "cukes.feature").write_bytes(LATIN_1)
    (tmp_path / "features" / "notes.txt").write_bytes(LATIN_1)
    assert read_text(tmp_path, "features/cukes.feature") == LATIN_1.decode("iso-8859-1")
    assert "Fonctionnalit\ufffd" in (read_text(tmp_path, "features/notes.txt") or "")


def test_check_steps_and_sync_read_it(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/cukes.feature", LATIN_1)
    git_repo.write("src/test/java/FrenchSteps.java", STEPS)
    git_repo.commit("a Latin-1 feature cucumber-jvm runs")
    check = run_cli("check", str(git_repo.path))
    assert check.returncode == 0 and "invalid UTF-8" not in check.stdout + check.stderr, check.stdout
    steps = run_cli("steps", str(git_repo.path)).stdout
    assert "@Étantdonné('j'ai {int} concombres')  # src/test/java/FrenchSteps.java:4  (1 uses)" in steps
    assert "  Étant donné j'ai 5 concombres  # features/cukes.feature:6\n" in steps
    result = sync(git_repo.path, database_url=database_url)
    assert not result.errors
    engine = db.make_engine(database_url)
    try:
        from sqlalchemy import select

        from tracertm.kinds import table

        with db.session(engine) as session:
            names = list(session.connection().execute(select(table("feature").c.name)).scalars())
            assert names == ["Concombres dans ISO-8859-1"]
    finally:
        engine.dispose()


def test_a_database_the_former_parsers_synced_reads_it_at_the_next_sync(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file's blob was recorded as in error, which an unchanged blob stays: the version of the parsers the
    project was synced by (``parser_output``, 1 before) makes the next plain sync parse it again."""
    from raw_sql import set_marker, sql

    from tracertm.engine.parsed_by import PARSER_OUTPUT_KEY
    from tracertm.parsers import common

    git_repo.write("features/cukes.feature", LATIN_1)
    git_repo.commit("a Latin-1 feature")
    with monkeypatch.context() as former:
        former.setattr(common, "declared_text", lambda data: None)  # the former parsers read no comment
        assert [e.message for e in sync(git_repo.path, database_url=database_url).errors] == [
            "invalid UTF-8 at byte offset 51; save the file as UTF-8"]
    set_marker(database_url, PARSER_OUTPUT_KEY, 1)
    assert not sync(git_repo.path, database_url=database_url).errors
    assert sql(database_url, "SELECT name FROM features") == [("Concombres dans ISO-8859-1",)]
