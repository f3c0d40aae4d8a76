"""The step matching a sync triggers: which step files to read, and the refresh of step links and usage counts
(``tracertm.steps.links``) after the records are written. Used by ``engine.sync`` and by the backfill's last step
(``history.backfill``: ``types_changed``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from tracertm.config import Settings
from tracertm.errors import Diagnostic, ParseError
from tracertm.parsers.records import ParseResult, strips_trailing_colon
from tracertm.engine import behave
from tracertm.engine.parse import Outcome
from tracertm.engine.scan import Snapshot, scan

if TYPE_CHECKING:
    from tracertm.engine.plan import Plan

# Bumped when step matching changes what it stores for the same files (a step's status, its candidates, their
# arguments): the project's metadata records the version its rows were matched by, and the next sync of a project
# matched by another re-matches every scenario once, as ``--full`` does (``tracertm.fastpath`` mirrors both and
# gives way). 1: a pytest-bdd step's arguments are its named values only, and ``case_sensitive`` holds (rows matched
# before kept every group and field, and ignored case). 2: cucumber-js's and Reqnroll's Cucumber Expressions read
# UTF-16 code units (``utf16.expression_counts_units``). 3: cucumber-js's {float} is its own package's regex, a
# JavaScript back-reference to a group that did not take part matches nothing, its m flag's ^ and $ see \r, U+2028
# and U+2029, and parse/cfparse arguments come in behave's order. 4: a Java or Kotlin regex's \v is Java's vertical
# whitespace (not \x0b alone), \h its horizontal, \0 takes up to three octal digits. 5: where behave or pytest-bdd
# runs a Scenario Outline, each Examples row's values fill its Background's steps too (they were matched as written).
# 6: a pytest-bdd definition's ``extra_types`` are its own (one definition's type no longer matches for another, nor
# does a name two definitions give different patterns leave the second undefined). 7: a cucumber-ruby regex with a
# named group is an error at its line (cucumber refuses to start), not matched; 7 also unquotes {string} values: a
# Cucumber Expression's {string} argument is the text between its quotes (\" and \' unescaped, but in Reqnroll),
# where the rows kept the quotes. 8: Reqnroll's built-in Cucumber Expression types are its own (``dotnet_types``):
# {Guid} and {DateTime} match any text, {Int32}, {Double}... are its number types, not enum names, its numbers the
# culture-independent regex, {short}, {bigdecimal} and {biginteger} enum names. 9: an outline row's Examples
# block's tags scope playwright-bdd's and cucumber-tsflow's definitions for that row, as its pickle has them (only
# the scenario's, rule's and feature's did). 10: a cucumber-js, playwright-bdd, cucumber-jvm or cucumber-ruby
# regex's arguments are its top-level groups (``TreeRegexp``'s), each the value of its first inner group when it has
# one (rows kept every group). 11: of cucumber-tsflow's bindings of one pattern and keyword the first runs, whatever
# the tags (4.0 on; they were picked by tag, as only the LynxWall fork still does, or ambiguous). 12: where behave
# runs a Scenario Outline, its rows fill the steps with the cells behave reads (only ``\|`` unescaped; they were
# gherkin's cells, ``\n`` and ``\\`` unescaped too: ``steps.outline_fill``); where pytest-bdd runs one, as its
# ``render_string`` fills them (one pass: a column named twice gives its last value, a value is not filled again);
# a JavaScript regex with the d flag is refused (cucumber-js stops on it), where it matched; definitions in different
# branches of one if/else, try/except or match (``StepDefinition.alternatives``) are no rivals: a step both match
# links to the first (it was ambiguous, behave's pair an AmbiguousStep error).
STEP_MATCHER_KEY = "step_matcher"
STEP_MATCHER = 12


def matched_by_older(project: Any) -> bool:
    """Whether the project's step matches (if any) were not made by this step matcher (``STEP_MATCHER``)."""
    return (project.metadata_ or {}).get(STEP_MATCHER_KEY) != STEP_MATCHER


def mark_matched(project: Any) -> None:
    """Record that every step match of the project was made by this step matcher (after a re-match of them all)."""
    project.metadata_ = {**(project.metadata_ or {}), STEP_MATCHER_KEY: STEP_MATCHER}


def types_signature(step_files: dict[str, Any]) -> str:
    """A digest of every parameter type the step files declare: what decides how a Cucumber Expression matches."""
    import hashlib
    import json

    from tracertm.steps.model import StepFile

    # A type's flags and registry (behave's cucumber_expressions types are apart from its parse types) change what
    # it matches too; they join the signature only when set, so that the signatures of earlier syncs still hold.
    declared = sorted(
        [t.framework, t.name, list(t.regexps), *([t.flags, t.registry] if t.flags or t.registry else [])]
        for f in step_files.values() if isinstance(f, StepFile) for t in f.parameter_types
    )
    return hashlib.sha256(json.dumps(declared).encode()).hexdigest()


__all__ = ["STEP_MATCHER", "STEP_MATCHER_KEY", "mark_matched", "matched_by_older", "parsed_step_files",
           "refresh_step_links", "step_sources", "types_changed", "types_signature"]


def step_sources(
    snapshot: Snapshot, db_files: dict[str, Any], changed: list[str], removed: set[str], full: bool,
    settings: Settings, ref: str | None, staged: bool, parsed_steps: Iterable[str] = (),
) -> dict[str, bytes] | None:
    """The bytes of every step file of the source but ``parsed_steps`` (parsed this run), when step links may need
    re-matching (a step file or a feature changed, came or went); None otherwise (a no-op sync reads nothing
    more)."""
    kinds = {p: f.kind for p, f in snapshot.files.items()}
    touched = [kinds.get(p) or db_files[p].kind for p in [*changed, *removed] if p in kinds or p in db_files]
    if not full and not any(k in ("step_definition", "feature") for k in touched):
        return None
    # Step files this run parsed already carry their definitions (steps.records.StepParseResult): not read again —
    # but for behave's environment.py, which parse_step_files reads for the step matcher of the modules it parses.
    done = {p for p in parsed_steps if not behave.is_environment(p)}
    if snapshot.scope is not None:
        # A sync of some paths (the watcher's): matching needs every step file of the source all the same.
        full_scan = scan(snapshot.location, settings.for_steps(), ref=ref, staged=staged)
        try:
            steps = sorted(p for p, f in full_scan.files.items() if f.error is None and p not in done)
            return full_scan.read(steps)
        finally:
            full_scan.close()
    steps = sorted(p for p, f in snapshot.files.items()
                   if f.kind == "step_definition" and f.error is None and p not in done)
    return snapshot.read(steps)


def refresh_step_links(
    session: Any, project_id: uuid.UUID, the_plan: Plan, parsed: dict[str, Outcome], removed: set[str],
    sources: dict[str, bytes], settings: Settings, full: bool, eager: Any = None,
) -> list[Diagnostic]:
    """Which definition each scenario step matches, and usage counts (tracertm.steps.links): what the files this
    run parsed or removed can have changed. Returns the definitions skipped for matching too slowly. ``eager``: the
    step matches a first sync wrote while its features parsed (``tracertm.steps.eager.EagerMatches``)."""
    from tracertm.steps.links import refresh
    from tracertm.steps.project import parse_step_files

    changed_definitions = [op.number for op in the_plan.operations
                           if op.kind == "step_definition" and op.action != "refresh"]
    step_files = parsed_step_files(parsed)
    if not sources and not step_files and not changed_definitions:
        return []  # no step files, and none just removed: nothing to link (no rows of "undefined" for every step)
    step_files.update(parse_step_files(sources.items(), settings.parser))
    for path, outcome in parsed.items():  # a step file that failed keeps its rows; refresh rebuilds them
        if isinstance(outcome, ParseError) and path in step_files:
            step_files[path] = outcome
    changed_features = sorted(
        {p for p, o in parsed.items() if isinstance(o, ParseResult) and o.kind == "feature"}
        | {f.path for f in the_plan.files if f.kind == "feature" and f.path in removed}
    )
    stats = refresh(
        session, project_id, step_files, changed_features=changed_features,
        changed_definitions=changed_definitions, types_changed=types_changed(session, project_id, step_files),
        full=full,
        parsed_features={p: o for p, o in parsed.items() if isinstance(o, ParseResult) and o.kind == "feature"},
        eager=eager, strip_colon=strips_trailing_colon(settings.parser),
    )
    return stats.findings


def parsed_step_files(parsed: dict[str, Outcome]) -> dict[str, Any]:
    """The ``StepFile`` of each step file this run parsed (in the parse pool), by path."""
    out: dict[str, Any] = {}
    for path, outcome in parsed.items():
        if isinstance(outcome, ParseResult) and outcome.kind == "step_definition":
            from tracertm.steps.records import StepParseResult  # only when there are step files

            if isinstance(outcome, StepParseResult) and outcome.step_file is not None:
                out[path] = outcome.step_file
    return out


def types_changed(session: Any, project_id: uuid.UUID, step_files: dict[str, Any]) -> bool:
    """Whether the parameter types the step files declare differ from the last sync's (a signature kept in the
    project's metadata): then every Cucumber Expression may mean something else."""
    from tracertm.models import Project

    signature = types_signature(step_files)
    project = session.get(Project, project_id)
    metadata = dict(project.metadata_ or {})
    if metadata.get("step_parameter_types") == signature:
        return False
    metadata["step_parameter_types"] = signature
    project.metadata_ = metadata
    return True
