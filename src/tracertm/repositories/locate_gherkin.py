"""The line of a feature's or scenario's field in its ``.feature`` file, from gherkin's own AST (every keyword of
every ``# language:``, Rules, Backgrounds, outlines), so that the line is the one the parser read the field from:
the ``Feature:``/``Scenario:`` line, the tag carrying an id or a status, the first ``Given`` step, ``Examples:``."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, cast

from tracertm.parsers.feature_story import STORY_LINES
from tracertm.repositories.locate import Facts, Spot, first, value_line
from tracertm.text import file_lines

Node = Mapping[str, Any]

_STATUSES = ("draft", "review", "approved", "deprecated", "archived")
_STEP_TYPES = {"given_steps": "Context", "when_steps": "Action", "then_steps": "Outcome"}
_LANGUAGE = re.compile(r"^\s*#\s*language\s*:", re.IGNORECASE)
_NO_TAGS = "no tag is written; add one on a line of its own above this line"


def _line(node: Node) -> int:
    return int(node["location"]["line"])


def _tags(node: Node | None) -> list[tuple[str, int]]:
    return [(str(t["name"]).removeprefix("@"), _line(t)) for t in (node or {}).get("tags", ())]


def _status_tag(node: Node | None) -> int | None:
    """The line of the first tag that sets a status (``@status:x``, ``@approved``, ``@wip``), as the parser reads."""
    for name, line in _tags(node):
        lowered = name.lower()
        if lowered.startswith("status:") or lowered in _STATUSES or lowered == "wip":
            return line
    return None


def _tag_named(nodes: Sequence[Node | None], names: Any) -> int | None:
    """The line of the first tag of ``nodes`` named one of ``names`` (a list of tag names, or one)."""
    wanted = {str(n).lower() for n in (names if isinstance(names, list) else [names]) if n}
    return next((line for node in nodes for name, line in _tags(node) if name.lower() in wanted), None)


def _document(text: str, path: str) -> Node | None:
    from tracertm.parsers.feature import check_size, gherkin_document

    try:
        # The feature parser's own size limits first: a file past them would hold the request for up to a minute
        # in gherkin (about 10 µs a line or cell), and a sync refuses it anyway.
        check_size("", text.replace("\r\n", "\n").replace("\r", "\n"))
        # A ``*.feature.md`` file is read with the Markdown matcher, and a file only behave reads (``'''`` doc
        # strings...) as behave reads it: as the parser reads them. A ``# language: hu-HU`` is read as ``hu``: only
        # a project with gherkin_language_fallback stores such a file, and its lines are the same either way.
        return gherkin_document(path, text, fallback=True)[0].get("feature") or None
    except Exception:  # noqa: BLE001 - a file that no longer parses: no line, said so by the caller
        return None


def _scenarios(feature: Node) -> list[tuple[Node, Node | None]]:
    """Every scenario of the feature with the rule it is in (None at the top), in file order."""
    out: list[tuple[Node, Node | None]] = []
    for child in feature.get("children", ()):
        if "scenario" in child:
            out.append((child["scenario"], None))
        elif "rule" in child:
            out.extend((c["scenario"], child["rule"]) for c in child["rule"].get("children", ()) if "scenario" in c)
    return out


def _background(parent: Node | None) -> Node | None:
    return next((c["background"] for c in (parent or {}).get("children", ()) if "background" in c), None)


def _find(feature: Node, number: str | None) -> tuple[Node, Node | None] | None:
    """The scenario whose id is ``number``: its id tag, else its name (``name#2``: the second of that name)."""
    scenarios = _scenarios(feature)
    if not number:
        return None
    tagged = next((s for s in scenarios if number.lower() in (n.lower() for n, _ in _tags(s[0]))), None)
    if tagged is not None:
        return tagged
    name, _, ordinal = number.rpartition("#") if re.search(r"#\d+$", number) else (number, "", "1")
    named = [s for s in scenarios if str(s[0].get("name", "")).strip() == name.strip()]
    return named[int(ordinal) - 1] if 0 < int(ordinal) <= len(named) else None


def _description_line(lines: Sequence[str], node: Node, stop: int) -> int | None:
    """The first line of a node's description: the first text line after its keyword line and before ``stop``."""
    return first(lines, re.compile(r"^\s*[^\s#@|]"), _line(node), stop - 1)


def _next_line(feature: Node, node: Node) -> int:
    """The line where the first child of ``node`` starts (or the line after it): the end of its description."""
    lines = [_line(child[key]) for child in node.get("children", ()) for key in child
             if isinstance(child[key], Mapping) and "location" in child[key]]
    lines += [_line(s) for s in node.get("steps", ())] + [_line(e) for e in node.get("examples", ())]
    return min(lines) if lines else _line(node) + 2


def gherkin_spot(text: str, kind: str, field: str, facts: Facts, path: str = "") -> Spot:
    """The :class:`Spot` of a feature's (``kind`` "feature") or scenario's field in the Gherkin ``text`` (of the file
    at ``path``: Markdown with Gherkin for ``*.feature.md``)."""
    feature = _document(text, path)
    if feature is None:
        return Spot(None, "the file no longer parses as Gherkin, so the line is unknown (check it with tracertm "
                          "check)")
    lines = file_lines(text)
    if kind == "feature":
        return _feature_spot(lines, feature, field, facts)
    found = _find(feature, facts.number)
    if found is None:
        return Spot(None, f"the file no longer holds scenario {facts.number}, so the line is unknown")
    return _scenario_spot(lines, feature, *found, field, facts)


def _feature_spot(lines: Sequence[str], feature: Node, field: str, facts: Facts) -> Spot:
    at = _line(feature)
    if field == "feature_number":
        tag = _tag_named([feature], facts.number)
        return Spot(tag) if tag else Spot(None, "the id comes from the file's path: move the file, or add an id tag "
                                                f"such as @FEAT-1 above line {at}")
    if field in ("name", "file_path"):
        return Spot(at)
    if field == "description":
        found = _description_line(lines, feature, _next_line(feature, feature))
        return Spot(found) if found else Spot(at, "no description is written; add it on the lines below this one")
    if field in STORY_LINES:
        found = first(lines, STORY_LINES[field], at, _next_line(feature, feature) - 1)
        return Spot(found) if found else Spot(at, f"no '{field.replace('_', ' ')}' line is written in the "
                                                  "description; add it below this line")
    if field == "status":
        tag = _status_tag(feature)
        return Spot(tag) if tag else Spot(at, "status is not written (the default, draft); add a tag such as "
                                              "@status:approved above this line")
    if field == "background" or field == "metadata.background_name":
        background = _background(feature)
        return Spot(_line(background)) if background else Spot(at, "no Background is written; add one below")
    if field in ("tags", "related_requirements", "related_adrs"):
        tags = _tags(feature)
        tag = _tag_named([feature], facts.value) if field != "tags" else None
        if field == "related_adrs" and tag is None:
            tag = next((line for name, line in tags if name.upper().startswith("ADR")), None)
        if tag or (field == "tags" and tags):
            return Spot(tag or tags[0][1])
        return Spot(at, _NO_TAGS)
    if field == "metadata.language":
        found = first(lines, _LANGUAGE, 0, at)
        return Spot(found) if found else Spot(at, "no '# language:' line is written (the default, en); add one "
                                                  "at the top of the file")
    if field == "metadata.rules":
        rule = next((c["rule"] for c in feature.get("children", ()) if "rule" in c), None)
        return Spot(_line(rule)) if rule else Spot(at, "no Rule is written")
    return Spot(at, f"{field} is not written on one line; it is read from the feature as a whole")


def _scenario_spot(lines: Sequence[str], feature: Node, node: Node, rule: Node | None, field: str,
                   facts: Facts) -> Spot:
    at = _line(node)
    if field == "scenario_number":
        tag = _tag_named([node], facts.number)
        return Spot(tag) if tag else Spot(at, "the id is the scenario's name (no id tag): edit the name, or add an "
                                              "id tag such as @SC-1 above this line")
    if field in ("title", "gherkin_text", "is_outline", "metadata.keyword"):
        return Spot(at)
    if field == "description":
        found = _description_line(lines, node, _next_line(feature, node))
        return Spot(found) if found else Spot(at, "no description is written; add it below this line")
    if field in _STEP_TYPES:
        kind, previous = _STEP_TYPES[field], ""
        for step in node.get("steps", ()):
            own = str(step.get("keywordType", ""))
            previous = own if own not in ("Conjunction", "Unknown") else previous
            if previous == kind:
                return Spot(_line(step))
        return Spot(at, f"the scenario has no {field.removesuffix('_steps').capitalize()} step; add one below")
    if field == "background":
        background = _background(rule) or _background(feature)
        return Spot(_line(background)) if background else Spot(at, "no Background is written for it")
    if field == "examples":
        examples = node.get("examples", ())
        return Spot(_line(examples[0])) if examples else Spot(at, "no Examples are written; add them below")
    if field == "tags":
        tags = _tags(node)
        return Spot(tags[0][1]) if tags else Spot(at, _NO_TAGS)
    if field == "status":
        tag = _status_tag(node) or _status_tag(rule) or _status_tag(feature)
        return Spot(tag) if tag else Spot(at, "status is not written (the default, draft); add a tag such as "
                                              "@status:approved above this line")
    if field == "requirement_ids":
        tag = _tag_named([node, rule, feature], facts.value)
        return Spot(tag) if tag else Spot(at, _NO_TAGS)
    if field == "metadata.rule":
        return Spot(_line(rule)) if rule else Spot(at, "the scenario is in no Rule")
    if field == "metadata.inherited_tags":
        tags = _tags(rule) + _tags(feature)
        return Spot(min(line for _, line in tags)) if tags else Spot(_line(feature), _NO_TAGS)
    found = value_line(lines, facts.value, at - 1)
    return Spot(found or at, None if found else f"{field} is read from the scenario as a whole")
