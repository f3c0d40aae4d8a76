"""A feature file gherkin refuses for its language is one error that names the cause and what to write.

A French feature without its ``# language: fr`` header (the most common slip), with it below a tag line, with a code
gherkin does not know (``FR``), an English file under ``# language: fr``, or a keyword saved decomposed (NFD) was an
error at every keyword line, ``expected: #EOF, #Language, #TagLine, #FeatureLine, #Comment, #Empty, got
'Fonctionnalité: Remboursement'``, none of them saying why. Real git repository for ``check``; the database keeps
what it had for a file that does not parse (SQLite and PostgreSQL).
"""

from __future__ import annotations

import unicodedata

import pytest

from conftest import GitRepo, run_cli
from tracertm.errors import ParseError
from tracertm.parsers.feature import parse
from tracertm.parsers.records import GHERKIN_LANGUAGE_FALLBACK, ParserOptions

FRENCH = "Fonctionnalité: Remboursement\n  Scénario: intégral\n    Soit une commande\n    Alors ok\n"


def errors(text: str) -> list[tuple[int, int, str]]:
    with pytest.raises(ParseError) as raised:
        parse("features/a.feature", text.encode())
    return [(d.line, d.column, d.message) for d in raised.value.diagnostics if d.severity == "error"]


def test_a_french_feature_without_its_header() -> None:
    assert errors(FRENCH) == [(1, 1, "'Fonctionnalité:' is a keyword of French (fr), not of English (en), the language "
                                     "gherkin reads a file in without a header: write '# language: fr' as its first "
                                     "line")]


def test_a_header_below_a_tag_line_is_a_comment_to_gherkin() -> None:
    assert errors("@FEAT-1\n# language: fr\n" + FRENCH) == [
        (3, 1, "'Fonctionnalité:' is a keyword of French (fr), but gherkin reads this file in English (en): it reads "
               "'# language: fr' (line 2) only above the first line that is not blank or a comment; move it to the "
               "top of the file")]


def test_a_code_in_capitals_names_the_code_gherkin_knows() -> None:
    assert errors("# language: FR\n" + FRENCH) == [
        (1, 1, "gherkin knows no language 'FR' (codes are case-sensitive); write '# language: fr'")]
    assert errors("# language: zh-cn\n功能: 退款\n")[0][2].endswith("write '# language: zh-CN'")


def test_an_english_file_under_a_french_header() -> None:
    (error,) = errors("# language: fr\nFeature: Refunds\n  Scenario: s\n    Given x\n")
    assert error[:2] == (2, 1)
    assert error[2].startswith("'Feature:' is a keyword of English (en), not of French (fr), the language its "
                               "'# language: fr' (line 1) names: make it '# language: en'"), error


def test_a_decomposed_keyword() -> None:
    assert errors(unicodedata.normalize("NFD", "# language: fr\n" + FRENCH)) == [
        (2, 1, "'Fonctionnalité:' is written decomposed (NFD: its accents as characters of their own), which gherkin "
               "does not read as the keyword; save the file with its text composed (NFC)")]


def test_other_syntax_errors_are_gherkin_s_own() -> None:
    """A French file with its header and a stray line is no language problem: gherkin's errors, all of them."""
    found = errors("# language: fr\nFonctionnalité: R\n  Scénario: s\n    Soit x\n    pas une étape\n  Scénario\n")
    assert found and all(message.startswith(("expected:", "unexpected")) for _, _, message in found), found


def test_check_and_sync_say_it_in_one_line_and_keep_the_stored_records(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/remboursement.feature", "# language: fr\n" + FRENCH)
    git_repo.commit("a French feature")
    assert run_cli("sync", str(git_repo.path), "--database-url", database_url).returncode == 0
    git_repo.write("features/remboursement.feature", "@FEAT-1\n" + FRENCH)  # the header lost in an edit
    git_repo.commit("header lost")
    checked = run_cli("check", str(git_repo.path))
    assert checked.returncode == 1
    lines = [line for line in (checked.stdout + checked.stderr).splitlines() if "remboursement.feature" in line]
    assert lines == ["features/remboursement.feature:2:1: 'Fonctionnalité:' is a keyword of French (fr), not of "
                     "English (en), the language gherkin reads a file in without a header: write '# language: fr' "
                     "as its first line"], lines
    synced = run_cli("sync", str(git_repo.path), "--database-url", database_url)
    assert "is a keyword of French (fr)" in synced.stderr, synced.stderr
    listed = run_cli("list", "scenarios", "--path", str(git_repo.path), "--database-url", database_url)
    assert "intégral" in listed.stdout, listed.stdout


HUNGARIAN = "Jellemző: Rendelés\n  Forgatókönyv: egy\n    Amennyiben a rendelés 1 létezik\n    Akkor kész\n"
FALLBACK = ParserOptions(extra={GHERKIN_LANGUAGE_FALLBACK: True})


def test_a_culture_name_is_read_in_its_language_only_with_the_fallback_setting() -> None:
    """Reqnroll and SpecFlow read ``# language: hu-HU`` as ``hu`` (``ReqnrollGherkinDialectProvider.GetDialect``);
    cucumber refuses it, and so does tracertm unless ``gherkin_language_fallback = true``, which its error names."""
    assert errors("# language: hu-HU\n" + HUNGARIAN) == [
        (1, 1, "gherkin knows no language 'hu-HU'; Reqnroll and SpecFlow read it as 'hu': set "
               "gherkin_language_fallback = true in the configuration")]
    (feature,) = parse("features/a.feature", ("# language: hu-HU\n" + HUNGARIAN).encode(), FALLBACK).records
    assert feature.fields["feature_metadata"]["language"] == "hu"
    assert feature.children[0].fields["given_steps"][0]["text"] == "a rendelés 1 létezik"
    # Read as Hungarian: the same records as under '# language: hu' (but for the stored text).
    (same,) = parse("features/a.feature", ("# language: hu\n" + HUNGARIAN).encode()).records
    assert same.content_hash == feature.content_hash
    # Only the part before '-', and only when gherkin knows it: anything else stays gherkin's error.
    with pytest.raises(ParseError, match="gherkin knows no language 'xx-HU'; write one of its codes"):
        parse("features/a.feature", ("# language: xx-HU\n" + HUNGARIAN).encode(), FALLBACK)
    with pytest.raises(ParseError) as raised:
        parse("features/a.feature", b"# language: hu-HU\nFeature: F\n  Scenario: s\n", FALLBACK)
    assert raised.value.diagnostics[0].message.startswith(
        "'Feature:' is a keyword of English (en), not of Hungarian (hu), the language its '# language: hu-HU' (line "
        "1) names: make it '# language: en'")


def test_the_fallback_setting_reaches_check_staged_check_and_sync(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/rendeles.feature", "# language: de-DE\n" + HUNGARIAN.replace("Jellemző", "Funktion")
                   .replace("Forgatókönyv", "Szenario").replace("Amennyiben", "Angenommen")
                   .replace("Akkor", "Dann"))
    git_repo.commit("a SpecFlow feature")
    refused = "'de-DE'; Reqnroll and SpecFlow read it as 'de': set gherkin_language_fallback = true"
    checked = run_cli("check", str(git_repo.path))
    assert checked.returncode == 1 and refused in checked.stdout + checked.stderr
    assert refused in run_cli("sync", str(git_repo.path), "--database-url", database_url).stderr
    git_repo.write(".tracertm.toml", "gherkin_language_fallback = true\n")
    git_repo.git("add", ".tracertm.toml")
    staged = run_cli("check", "--staged", str(git_repo.path))
    assert staged.returncode == 0, staged.stdout + staged.stderr
    git_repo.commit("read it as Reqnroll does")
    checked = run_cli("check", str(git_repo.path))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    synced = run_cli("sync", str(git_repo.path), "--database-url", database_url)
    assert synced.returncode == 0, synced.stderr
    listed = run_cli("list", "scenarios", "--path", str(git_repo.path), "--database-url", database_url)
    assert "egy" in listed.stdout, listed.stdout
    git_repo.write(".tracertm.toml", 'gherkin_language_fallback = "yes"\n')
    failed = run_cli("check", str(git_repo.path))
    assert failed.returncode != 0 and failed.stderr.strip().endswith(
        ".tracertm.toml:1: gherkin_language_fallback must be a boolean (true or false), e.g. "
        "gherkin_language_fallback = true")
