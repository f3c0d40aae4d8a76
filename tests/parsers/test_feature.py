"""Tests of the Gherkin feature parser: whole records, every syntax error with its line, hash stability."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracertm.errors import Diagnostic, ParseError
from tracertm.parsers.feature import parse
from tracertm.parsers.records import ParseResult, ParserOptions, SpecRecord

FIXTURES = Path(__file__).parent / "fixtures" / "feature"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def src(text: str) -> bytes:
    return textwrap.dedent(text).lstrip("\n").encode("utf-8")


def lines_of(name: str, first: int, last: int) -> str:
    """Lines ``first``..``last`` (1-based, inclusive) of a fixture: what ``gherkin_text`` must be."""
    return "\n".join(fixture(name).decode().split("\n")[first - 1 : last])


def step(keyword: str, text: str, line: int, **more: Any) -> dict[str, Any]:
    return {"keyword": keyword, "text": text, "line": line, **more}


def feature(**fields: Any) -> dict[str, Any]:
    """A full feature fields dict: defaults overridden by ``fields``."""
    record: dict[str, Any] = {
        "feature_number": None,
        "name": None,
        "description": None,
        "as_a": None,
        "i_want": None,
        "so_that": None,
        "status": "draft",
        "file_path": None,
        "background": None,
        "tags": [],
        "related_requirements": [],
        "related_adrs": [],
        "feature_metadata": {"language": "en", "rules": [], "background_name": None},
    }
    assert set(fields) <= set(record), set(fields) - set(record)
    record.update(fields)
    return record


def scenario(**fields: Any) -> dict[str, Any]:
    """A full scenario fields dict: defaults overridden by ``fields`` (``rule``/``keyword``/``inherited_tags``
    go into scenario_metadata)."""
    metadata = {
        "rule": fields.pop("rule", None),
        "keyword": fields.pop("keyword", "Scenario"),
        "inherited_tags": fields.pop("inherited_tags", []),
    }
    record: dict[str, Any] = {
        "scenario_number": None,
        "title": None,
        "description": None,
        "gherkin_text": None,
        "background": [],
        "given_steps": [],
        "when_steps": [],
        "then_steps": [],
        "is_outline": False,
        "examples": [],
        "tags": [],
        "status": "draft",
        "requirement_ids": [],
        "scenario_metadata": metadata,
    }
    assert set(fields) <= set(record), set(fields) - set(record)
    record.update(fields)
    return record


def flat(result: ParseResult) -> tuple[tuple[str, int, dict[str, Any]], list[tuple[str, int, dict[str, Any]]]]:
    """(feature number, line, fields) and the same for every scenario, in file order."""
    assert result.kind == "feature"
    (record,) = result.records
    assert record.kind == "feature"
    children = [(child.number, child.line, dict(child.fields)) for child in record.children]
    assert all(child.kind == "scenario" and child.children == () for child in record.children)
    return (record.number, record.line, dict(record.fields)), children


def warning(path: str, line: int, column: int, message: str) -> Diagnostic:
    return Diagnostic(path, line, column, message, "warning")


# ---------------------------------------------------------------------------------------------------------------
# Expected records of the fixtures

REFUND_PATH = "features/billing/refund.feature"
REFUND_TAGS = ["FEAT-12", "approved", "ADR-3", "REQ-7", "payments"]
REFUND_BACKGROUND = [
    step("Given", 'a customer "ann"', 11, column=5),
    step("And", "an order paid by card", 12, column=5, data_table=[["item", "price"], ["shoes", "100"]]),
]
RULE = "refunds after 30 days need a manager"

REFUND_FEATURE = (
    "FEAT-12",
    3,
    feature(
        feature_number="FEAT-12",
        name="Refunds",
        description=(
            "As a customer,\nI want to get my money back\nSo that I trust the shop\n\n"
            "Refunds follow the payment provider's rules."
        ),
        as_a="customer",
        i_want="to get my money back",
        so_that="I trust the shop",
        status="approved",
        file_path=REFUND_PATH,
        background='Given a customer "ann"\nAnd an order paid by card\n  | item | price |\n  | shoes | 100 |',
        tags=REFUND_TAGS,
        related_requirements=["REQ-7"],
        related_adrs=["ADR-0003"],
        feature_metadata={"language": "en", "rules": [RULE], "background_name": "a paid order"},
    ),
)

REFUND_SCENARIOS = [
    (
        "SC-1",
        17,
        scenario(
            scenario_number="SC-1",
            title="full refund",
            gherkin_text=lines_of("refund.feature", 16, 25),
            background=REFUND_BACKGROUND,
            given_steps=[step("Given", "the order was paid today", 18)],
            when_steps=[step("When", "ann asks for a refund", 19)],
            then_steps=[
                step("Then", "the refund is accepted", 20),
                step(
                    "And",
                    "the provider receives:",
                    21,
                    doc_string={"content": '{"amount": 100}', "media_type": "json"},
                ),
                step("But", "no fee is charged", 25),
            ],
            tags=["SC-1", "REQ-8"],
            status="approved",
            requirement_ids=["REQ-7", "REQ-8"],
            inherited_tags=REFUND_TAGS,
        ),
    ),
    (
        "partial refund",
        28,
        scenario(
            scenario_number="partial refund",
            title="partial refund",
            description="Some words about partial refunds.",
            gherkin_text=lines_of("refund.feature", 28, 43),
            background=REFUND_BACKGROUND,
            given_steps=[step("Given", "the order was paid <days> days ago", 31)],
            when_steps=[step("When", "ann asks for <amount> EUR back", 32)],
            then_steps=[step("Then", 'the answer is "<answer>"', 33)],
            is_outline=True,
            examples=[
                {
                    "name": "recent",
                    "tags": ["fast"],
                    "columns": ["days", "amount", "answer"],
                    "rows": [["1", "50", "accepted"], ["2", "100", "accepted"]],
                },
                {
                    "name": "old",
                    "tags": [],
                    "columns": ["days", "amount", "answer"],
                    "rows": [["40", "50", "refused"]],
                },
            ],
            status="approved",
            requirement_ids=["REQ-7"],
            keyword="Scenario Outline",
            inherited_tags=REFUND_TAGS,
        ),
    ),
    (
        "late refund",
        51,
        scenario(
            scenario_number="late refund",
            title="late refund",
            gherkin_text=lines_of("refund.feature", 50, 55),
            background=[*REFUND_BACKGROUND, step("Given", 'a manager "bob"', 48, column=7)],
            given_steps=[step("Given", "the order was paid 40 days ago", 52), step("*", "bob approves", 53)],
            when_steps=[step("When", "ann asks for a refund", 54)],
            then_steps=[step("Then", "the refund is accepted", 55)],
            tags=["wip"],
            status="draft",
            requirement_ids=["REQ-7", "REQ-9"],
            rule=RULE,
            inherited_tags=[*REFUND_TAGS, "deprecated", "REQ-9"],
        ),
    ),
    (
        "late refund without manager",
        57,
        scenario(
            scenario_number="late refund without manager",
            title="late refund without manager",
            gherkin_text=lines_of("refund.feature", 57, 61),
            background=[*REFUND_BACKGROUND, step("Given", 'a manager "bob"', 48, column=7)],
            given_steps=[step("Given", "the order was paid 40 days ago", 58)],
            when_steps=[step("When", "ann asks for a refund", 59), step("But", "bob is on holiday", 60)],
            then_steps=[step("Then", "the refund is refused", 61)],
            status="deprecated",
            requirement_ids=["REQ-7", "REQ-9"],
            rule=RULE,
            inherited_tags=[*REFUND_TAGS, "deprecated", "REQ-9"],
        ),
    ),
]

FRENCH_PATH = "features/remboursement.feature"
FRENCH_FEATURE = (
    "FEAT-30",
    3,
    feature(
        feature_number="FEAT-30",
        name="Remboursement",
        description="En tant que client\nJe veux être remboursé",
        status="review",
        file_path=FRENCH_PATH,
        background='Soit un client "ann"',
        tags=["FEAT-30", "status:review"],
        feature_metadata={"language": "fr", "rules": [], "background_name": None},
    ),
)
FRENCH_SCENARIOS = [
    (
        "remboursement total",
        10,
        scenario(
            scenario_number="remboursement total",
            title="remboursement total",
            gherkin_text=lines_of("remboursement.feature", 10, 15),
            background=[step("Soit", 'un client "ann"', 8, column=5)],
            given_steps=[step("Soit", "une commande payée", 11), step("Et", "une carte valide", 12)],
            when_steps=[step("Quand", "le client demande un remboursement", 13)],
            then_steps=[
                step("Alors", "le remboursement est accepté", 14),
                step("Mais", "aucun frais n'est facturé", 15),
            ],
            status="review",
            keyword="Scénario",
            inherited_tags=["FEAT-30", "status:review"],
        ),
    ),
    (
        "remboursement partiel",
        17,
        scenario(
            scenario_number="remboursement partiel",
            title="remboursement partiel",
            gherkin_text=lines_of("remboursement.feature", 17, 23),
            background=[step("Soit", 'un client "ann"', 8, column=5)],
            when_steps=[step("Quand", "le client demande <montant> EUR", 18)],
            then_steps=[step("Alors", 'la réponse est "<réponse>"', 19)],
            is_outline=True,
            examples=[{"name": "", "tags": [], "columns": ["montant", "réponse"], "rows": [["50", "accepté"]]}],
            status="review",
            keyword="Plan du scénario",
            inherited_tags=["FEAT-30", "status:review"],
        ),
    ),
]

REPEATS_PATH = "features/repeats.feature"
REPEATS_FEATURE = (
    "repeats",
    1,
    feature(feature_number="repeats", name="Repeats", file_path=REPEATS_PATH),
)
REPEATS_SCENARIOS = [
    (
        "same",
        2,
        scenario(
            scenario_number="same",
            title="same",
            gherkin_text="  Scenario: same\n    Given a",
            given_steps=[step("Given", "a", 3)],
        ),
    ),
    (
        "same#2",
        5,
        scenario(
            scenario_number="same#2",
            title="same",
            gherkin_text="  Scenario: same\n    Given b",
            given_steps=[step("Given", "b", 6)],
        ),
    ),
    (
        "Scenario #3",
        8,
        scenario(
            scenario_number="Scenario #3",
            title="",
            gherkin_text="  Scenario:\n    Given c",
            given_steps=[step("Given", "c", 9)],
        ),
    ),
    (
        "SC-3",
        12,
        scenario(
            scenario_number="SC-3",
            title="same",
            gherkin_text="  @SC-3 @status:approved\n  Scenario: same\n    Given d",
            given_steps=[step("Given", "d", 13)],
            tags=["SC-3", "status:approved"],
            status="approved",
        ),
    ),
    (
        "same#3",
        16,
        scenario(
            scenario_number="same#3",
            title="same",
            gherkin_text="  @status:someday\n  Scenario: same\n    And e",
            given_steps=[step("And", "e", 17)],
            tags=["status:someday"],
        ),
    ),
]


FIXTURE_CASES = [
    ("rules-outline-background-tables", REFUND_PATH, fixture("refund.feature"), REFUND_FEATURE, REFUND_SCENARIOS, []),
    (
        "CRLF line ends",
        REFUND_PATH,
        fixture("refund.feature").replace(b"\n", b"\r\n"),
        REFUND_FEATURE,
        REFUND_SCENARIOS,
        [],
    ),
    ("french", FRENCH_PATH, fixture("remboursement.feature"), FRENCH_FEATURE, FRENCH_SCENARIOS, []),
    (
        "repeated names, id and status tags, leading And",
        REPEATS_PATH,
        fixture("repeats.feature"),
        REPEATS_FEATURE,
        REPEATS_SCENARIOS,
        [
            warning(
                REPEATS_PATH,
                15,
                3,
                "unknown status @status:someday; allowed: draft, review, approved, deprecated, archived; using draft",
            ),
            warning(REPEATS_PATH, 17, 0, "step 'And e' continues no step; counted as Given"),
        ],
    ),
]


@pytest.mark.parametrize(
    ("path", "data", "expected_feature", "expected_scenarios", "warnings"),
    [case[1:] for case in FIXTURE_CASES],
    ids=[case[0] for case in FIXTURE_CASES],
)
def test_fixtures(
    path: str,
    data: bytes,
    expected_feature: tuple[str, int, dict[str, Any]],
    expected_scenarios: list[tuple[str, int, dict[str, Any]]],
    warnings: list[Diagnostic],
) -> None:
    result = parse(path, data)
    assert result.path == path
    got_feature, got_scenarios = flat(result)
    assert got_feature == expected_feature
    assert got_scenarios == expected_scenarios
    assert list(result.warnings) == warnings


# ---------------------------------------------------------------------------------------------------------------
# Small inline cases: the whole feature and all scenarios


INLINE_CASES: list[
    tuple[str, str, bytes, tuple[str, int, dict[str, Any]], list[tuple[str, int, dict[str, Any]]], list[Diagnostic]]
] = [
    (
        "feature without scenarios, path outside features/, In order to, doc string in Background",
        "specs/checkout.feature",
        src(
            """
            @review @adr-12 @ADR-0012 @REQ-1 @REQ-1
            Feature: Checkout
              In order to pay
              As an anonymous visitor
              I want a guest checkout

              Background: setup
                Given a config:
                  \"\"\"yaml
                  a: 1
                  \"\"\"
            """
        ),
        (
            "specs/checkout",
            2,
            feature(
                feature_number="specs/checkout",
                name="Checkout",
                description="In order to pay\nAs an anonymous visitor\nI want a guest checkout",
                as_a="anonymous visitor",
                i_want="a guest checkout",
                so_that="pay",
                status="review",
                file_path="specs/checkout.feature",
                background='Given a config:\n  """yaml\n  a: 1\n  """',
                tags=["review", "adr-12", "ADR-0012", "REQ-1", "REQ-1"],
                related_requirements=["REQ-1"],
                related_adrs=["ADR-0012"],
                feature_metadata={"language": "en", "rules": [], "background_name": "setup"},
            ),
        ),
        [],
        [],
    ),
    (
        "conflicting status tags, second story line, Scenario Template, examples without table",
        "features/x.feature",
        src(
            """
            @wip @approved
            Feature: X
              As a user
              As an admin

              @status:archived @deprecated
              Scenario Template: t <a>
                Given <a>

                Examples:
            """
        ),
        (
            "x",
            2,
            feature(
                feature_number="x",
                name="X",
                description="As a user\nAs an admin",
                as_a="user",
                status="draft",
                file_path="features/x.feature",
                tags=["wip", "approved"],
            ),
        ),
        [
            (
                "t <a>",
                7,
                scenario(
                    scenario_number="t <a>",
                    title="t <a>",
                    gherkin_text=(
                        "  @status:archived @deprecated\n  Scenario Template: t <a>\n    Given <a>\n\n    Examples:"
                    ),
                    given_steps=[step("Given", "<a>", 8)],
                    is_outline=True,
                    examples=[{"name": "", "tags": [], "columns": [], "rows": []}],
                    tags=["status:archived", "deprecated"],
                    status="archived",
                    keyword="Scenario Template",
                    inherited_tags=["wip", "approved"],
                ),
            )
        ],
        [
            warning("features/x.feature", 1, 1, "conflicting status tags @wip, @approved; using draft"),
            warning("features/x.feature", 4, 0, "a second 'As an admin' line; as_a keeps 'user'"),
            warning(
                "features/x.feature", 6, 3, "conflicting status tags @status:archived, @deprecated; using archived"
            ),
        ],
    ),
    (
        "custom id patterns; a doc string and a table on one step; a Rule without scenarios",
        "features/custom.feature",
        src(
            """
            @F7
            Feature: Custom
              Scenario: with both
                Given data
                  | a |
                  \"\"\"
                  text
                  \"\"\"
              @T1
              Scenario: tagged
                Then ok
              Rule: empty rule
            """
        ),
        (
            "F7",
            2,
            feature(
                feature_number="F7",
                name="Custom",
                file_path="features/custom.feature",
                tags=["F7"],
                feature_metadata={"language": "en", "rules": ["empty rule"], "background_name": None},
            ),
        ),
        [
            (
                "with both",
                3,
                scenario(
                    scenario_number="with both",
                    title="with both",
                    gherkin_text=(
                        '  Scenario: with both\n    Given data\n      | a |\n      """\n      text\n      """'
                    ),
                    given_steps=[
                        step(
                            "Given", "data", 4, data_table=[["a"]], doc_string={"content": "text", "media_type": None}
                        )
                    ],
                    inherited_tags=["F7"],
                ),
            ),
            (
                "T1",
                10,
                scenario(
                    scenario_number="T1",
                    title="tagged",
                    gherkin_text="  @T1\n  Scenario: tagged\n    Then ok",
                    then_steps=[step("Then", "ok", 11)],
                    tags=["T1"],
                    inherited_tags=["F7"],
                ),
            ),
        ],
        [],
    ),
]

CUSTOM_OPTIONS = ParserOptions(feature_id_pattern=r"F\d+", scenario_id_pattern=r"T\d+")


@pytest.mark.parametrize(
    ("path", "data", "expected_feature", "expected_scenarios", "warnings"),
    [case[1:] for case in INLINE_CASES],
    ids=[case[0] for case in INLINE_CASES],
)
def test_inline(
    path: str,
    data: bytes,
    expected_feature: tuple[str, int, dict[str, Any]],
    expected_scenarios: list[tuple[str, int, dict[str, Any]]],
    warnings: list[Diagnostic],
) -> None:
    result = parse(path, data, CUSTOM_OPTIONS if "custom" in path else ParserOptions())
    got_feature, got_scenarios = flat(result)
    assert got_feature == expected_feature
    assert got_scenarios == expected_scenarios
    assert list(result.warnings) == warnings


# ---------------------------------------------------------------------------------------------------------------
# Errors

EXPECTED = (
    "#EOF, #TableRow, #DocStringSeparator, #StepLine, #TagLine, #ExamplesLine, #ScenarioLine, #RuleLine, "
    "#Comment, #Empty"
)

ERROR_CASES: list[tuple[str, bytes, list[tuple[int, int, str]]]] = [
    (
        "syntax error on line 7",
        fixture("syntax-error.feature"),
        [(7, 3, f"expected: {EXPECTED}, got 'this line is not a step'")],
    ),
    (
        "several syntax errors, all reported in file order",
        fixture("many-errors.feature"),
        [
            (4, 3, f"expected: {EXPECTED}, got 'oops one'"),
            (8, 7, "inconsistent cell count within the table"),
            (9, 3, "A tag may not contain whitespace"),
            (9, 3, f"expected: {EXPECTED}, got '@bad tag'"),
            (14, 0, "unexpected end of file, expected: #DocStringSeparator, #Other"),
        ],
    ),
    (
        "tags and nothing to tag",
        b"# language: fr\n@wip\n",
        [(3, 0, "unexpected end of file, expected: #TagLine, #FeatureLine, #Comment, #Empty")],
    ),
    (
        "unknown language",
        b"# language: xx-nowhere\nFeature: x\n",
        [(1, 1, "gherkin knows no language 'xx-nowhere'; write one of its codes (fr, de, es, pt, ja, zh-CN…: "
                "cucumber's list of Gherkin languages)")],
    ),
    (
        "duplicate scenario id tags",
        src(
            """
            Feature: ids
              @SC-1
              Scenario: a
                Given a
              @SC-2
              Scenario: b
                Given b
              @SC-1
              Scenario: c
                Given c
            """
        ),
        [(8, 3, "duplicate scenario id @SC-1 (lines 2 and 8)")],
    ),
    (
        "two id tags on one feature and on one scenario",
        src(
            """
            @FEAT-1 @FEAT-2
            Feature: ids
              @SC-1 @SC-1 @SC-9
              Scenario: a
                Given a
            """
        ),
        [
            (1, 9, "the feature has two id tags: @FEAT-1 and @FEAT-2"),
            (3, 15, "scenario on line 4 has two id tags: @SC-1 and @SC-9"),
        ],
    ),
    ("invalid UTF-8", b"Feature: caf\xc3\n", [(1, 13, "invalid UTF-8 at byte offset 12; save the file as UTF-8")]),
]


@pytest.mark.parametrize(
    ("data", "errors"), [case[1:] for case in ERROR_CASES], ids=[case[0] for case in ERROR_CASES]
)
def test_errors(data: bytes, errors: list[tuple[int, int, str]]) -> None:
    with pytest.raises(ParseError) as caught:
        parse("features/bad.feature", data)
    error = caught.value
    assert [(d.line, d.column, d.message) for d in error.diagnostics] == errors
    assert all(d.path == "features/bad.feature" and d.severity == "error" for d in error.diagnostics)
    assert (error.line, error.column, error.message) == errors[0]


def test_invalid_configured_pattern() -> None:
    with pytest.raises(ParseError) as caught:
        parse("features/x.feature", b"Feature: x\n", ParserOptions(scenario_id_pattern="SC-("))
    assert caught.value.message.startswith("invalid tag pattern in configuration")


# ---------------------------------------------------------------------------------------------------------------
# Content hash: layout and comments are not content; one scenario's change is that scenario's only


REFUND = fixture("refund.feature").decode()

# Re-indented, realigned tables, comments and blank lines added, the doc string shifted as a block,
# the description re-wrapped in place.
REFUND_REFORMATTED = (
    REFUND.replace("\n  ", "\n    ")
    .replace("| item  | price |", "|item|price|")
    .replace("| shoes | 100   |", "|   shoes |   100 |")
    .replace("  Scenario Outline: partial refund\n", "\n\n  # an outline\n  Scenario Outline: partial refund\n\n")
    .replace("    When ann asks for a refund\n", "    # who asks\n    When ann asks for a refund   \n")
    .replace("Refunds follow the payment provider's rules.", "Refunds follow the payment\n    provider's rules.")
    + "\n# the end\n\n"
)


def _hashes(text: str) -> tuple[str, dict[str, str]]:
    (record,) = parse(REFUND_PATH, text.encode()).records
    return record.content_hash, {child.number: child.content_hash for child in record.children}


def test_layout_does_not_change_hashes() -> None:
    assert REFUND_REFORMATTED != REFUND
    assert _hashes(REFUND_REFORMATTED) == _hashes(REFUND)


@pytest.mark.parametrize(
    ("old", "new", "changed"),
    [
        (
            "Then the refund is accepted\n    And the provider",
            "Then the refund is granted\n    And the provider",
            "SC-1",
        ),
        ("| 2    | 100    | accepted |", "| 3    | 100    | accepted |", "partial refund"),
        ("      * bob approves", "      * bob signs", "late refund"),
        ("      But bob is on holiday\n", "", "late refund without manager"),
    ],
)
def test_one_scenario_change_changes_that_hash_only(old: str, new: str, changed: str) -> None:
    assert old in REFUND
    feature_hash, scenario_hashes = _hashes(REFUND)
    new_feature_hash, new_scenario_hashes = _hashes(REFUND.replace(old, new))
    assert new_feature_hash == feature_hash
    assert {n for n in scenario_hashes if scenario_hashes[n] != new_scenario_hashes[n]} == {changed}


def test_background_change_changes_feature_and_scenarios() -> None:
    feature_hash, scenario_hashes = _hashes(REFUND)
    new_feature_hash, new_scenario_hashes = _hashes(
        REFUND.replace('Given a customer "ann"', 'Given a customer "bea"')
    )
    assert new_feature_hash != feature_hash
    assert all(scenario_hashes[n] != new_scenario_hashes[n] for n in scenario_hashes)


RULED = """\
Feature: f
  Rule: r
    Refunds are capped at the order total
    (see ADR-0001).

    Scenario Outline: s
      Given a <x>

      Examples: big
        Orders over the cap need ADR-0002.
        | x |
        | 1 |

  Rule: quiet
    Scenario: t
      Given a
"""


def test_a_rules_and_an_examples_description_are_kept_hashed_and_placed() -> None:
    """The prose a Rule and an Examples block hold is each scenario's (the Rule is no record of its own): kept,
    part of its content (an edit is a version, a re-wrap none) and its ADR mentions at their lines. Dropped before."""
    (record,) = parse("features/r.feature", RULED.encode()).records
    outline, plain = record.children
    assert outline.fields["scenario_metadata"]["rule_description"] == ("Refunds are capped at the order total\n"
                                                                       "(see ADR-0001).")
    assert outline.fields["examples"][0]["description"] == "Orders over the cap need ADR-0002."
    assert (outline.ref_lines["ADR-0001"], outline.ref_lines["ADR-0002"]) == (4, 10)
    assert "rule_description" not in plain.fields["scenario_metadata"]  # (nothing said: its content as before)
    _, hashes = _hashes(RULED)
    assert _hashes(RULED.replace("total\n    (see", "total (see"))[1] == hashes
    for old, new in (("capped", "limited"), ("over the cap", "over the limit")):
        assert _hashes(RULED.replace(old, new))[1]["s"] != hashes["s"]
        assert _hashes(RULED.replace(old, new))[1]["t"] == hashes["t"]


def test_scenario_hash_ignores_gherkin_text_and_lines() -> None:
    (record,) = parse(REFUND_PATH, fixture("refund.feature")).records
    child = record.children[0]
    moved = SpecRecord("scenario", child.number, {**child.fields, "gherkin_text": "anything"}, line=99)
    assert moved.content_hash == child.content_hash


# ---------------------------------------------------------------------------------------------------------------
# Totality: any bytes → ParseResult or ParseError, never anything else

FEATURE_KEYS = set(feature())
SCENARIO_KEYS = set(scenario())


def _check_total(data: bytes) -> None:
    try:
        result = parse("features/fuzz.feature", data)
    except ParseError as exc:
        assert exc.diagnostics, exc
        assert not exc.message.startswith("internal parser error"), exc
        return
    if not result.records:  # only blank lines and comments: valid, nothing to record
        lines = data.decode("utf-8-sig").replace("\r", "\n").split("\n")
        assert all(not line.strip() or line.lstrip().startswith("#") for line in lines)
        return
    (record,) = result.records
    assert set(record.fields) == FEATURE_KEYS and record.content_hash
    numbers = [child.number for child in record.children]
    assert len(numbers) == len(set(numbers))
    for child in record.children:
        assert set(child.fields) == SCENARIO_KEYS and child.content_hash


ALL_FIXTURES = [fixture(name) for name in sorted(p.name for p in FIXTURES.iterdir())]

GHERKIN_LINES = [
    "Feature: f",
    "Feature:",
    "Fonctionnalité: f",
    "Rule: r",
    "Règle: r",
    "Background:",
    "Contexte:",
    "Scenario: s",
    "Scenario:",
    "Scenario Outline: o",
    "Scenario Template: t",
    "Examples:",
    "Scenarios:",
    "Exemples:",
    "Given a",
    "When b",
    "Then c",
    "And d",
    "But e",
    "* f",
    "Soit g",
    "Quand h",
    "Alors i",
    "Et j",
    "Mais k",
    "@t",
    "@SC-1",
    "@SC-1 @SC-2",
    "@FEAT-1",
    "@FEAT-2",
    "@status:approved",
    "@status:nope",
    "@wip",
    "@REQ-1",
    "@ADR-1",
    "@a b",
    "| a | b |",
    "| c |",
    "|",
    "||",
    "| a \\| b |",
    '"""',
    '"""json',
    "```",
    "# language: fr",
    "# language: zz",
    "# comment",
    "",
    "As a user",
    "I want x",
    "So that y",
    "<a>",
    "word",
    "\t",
    "\u00a0",
    "\r",
]


@st.composite
def gherkin_ish(draw: st.DrawFn) -> bytes:
    lines = draw(
        st.lists(
            st.tuples(st.sampled_from(["", "  ", "    ", "\t"]), st.sampled_from(GHERKIN_LINES)).map("".join),
            max_size=40,
        )
    )
    return "\n".join(lines).encode("utf-8")


@st.composite
def mutated_fixture(draw: st.DrawFn) -> bytes:
    """A fixture with lines deleted, duplicated, swapped, replaced or spliced in from another fixture."""
    lines = draw(st.sampled_from(ALL_FIXTURES)).split(b"\n")
    for _ in range(draw(st.integers(1, 5))):
        i = draw(st.integers(0, len(lines)))
        action = draw(st.sampled_from(["delete", "duplicate", "swap", "replace", "splice", "bytes"]))
        if action == "delete":
            del lines[i : i + draw(st.integers(1, 4))]
        elif action == "duplicate":
            lines[i:i] = lines[i : i + draw(st.integers(1, 4))]
        elif action == "swap" and len(lines) > 1:
            j = draw(st.integers(0, len(lines) - 1))
            k = min(i, len(lines) - 1)
            lines[j], lines[k] = lines[k], lines[j]
        elif action == "replace":
            lines[i : i + 1] = [draw(st.sampled_from(GHERKIN_LINES)).encode("utf-8")]
        elif action == "splice":
            other = draw(st.sampled_from(ALL_FIXTURES)).split(b"\n")
            a = draw(st.integers(0, len(other)))
            lines[i:i] = other[a : a + draw(st.integers(1, 10))]
        else:
            lines[i:i] = [draw(st.binary(max_size=12))]
    return b"\n".join(lines)


@settings(deadline=2000, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_any_bytes(data: bytes) -> None:
    _check_total(data)


@settings(deadline=2000, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=500))
def test_any_text(text: str) -> None:
    _check_total(text.encode("utf-8", "surrogatepass"))


@settings(deadline=2000, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(gherkin_ish())
def test_gherkin_ish_lines(data: bytes) -> None:
    _check_total(b"Feature: fuzz\n" + data)
    _check_total(data)


@settings(deadline=2000, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_fixture())
def test_near_valid_documents(data: bytes) -> None:
    _check_total(data)


# ---------------------------------------------------------------------------------------------------------------
# Real-world shapes (issue 13)


@pytest.mark.parametrize(
    "data",
    [b"", b"  \n\n\t\n", b"# TODO\n\n# later\n", b"# language: fr\n# TODO\n", b"\xef\xbb\xbf# language: de\r\n"],
    ids=["empty", "blank", "comments only", "language header and a comment", "BOM, CRLF, language header"],
)
def test_empty_and_comment_only_files_hold_no_feature_and_no_error(data: bytes) -> None:
    result = parse("features/placeholder.feature", data)
    assert (result.path, result.kind) == ("features/placeholder.feature", "feature")
    assert result.records == () and result.warnings == ()


@pytest.mark.parametrize(
    ("path", "roots", "number"),
    [
        ("doc/features/commit.feature", ("doc/features/",), "commit"),
        ("doc/features/billing/refund.feature", ("doc/features/",), "billing/refund"),
        ("features/a.feature", ("features/",), "a"),
        ("specs/acceptance/x.feature", ("specs/", "specs/acceptance/"), "x"),  # the longest root holding it
        ("elsewhere/y.feature", ("doc/features/",), "elsewhere/y"),
        ("top.feature", ("",), "top"),
    ],
)
def test_feature_identity_is_relative_to_its_glob_root(path: str, roots: tuple[str, ...], number: str) -> None:
    result = parse(path, b"Feature: f\n  Scenario: s\n    Given g\n", ParserOptions(feature_roots=roots))
    assert result.records[0].number == number == result.records[0].fields["feature_number"]
