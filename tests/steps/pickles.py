"""The oracle for ``tracertm.steps.scenarios``: feature files → the steps a runner would execute, through gherkin's
own pickle compiler (what cucumber itself runs).

Pickles give each framework's view for free: Background steps (the feature's and the Rule's) are part of every
scenario, Scenario Outline steps come once per Examples row with ``<placeholders>`` substituted, and each step has
a type (``Context``/``Action``/``Outcome``; ``And``/``But`` take the type of the step before them, falling back to the
Background's). ``*`` is ``Unknown`` in gherkin; like behave and pytest-bdd we give it the previous step's type.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, cast

from tracertm.errors import ParseError
from tracertm.parsers.common import decode_text
from tracertm.parsers.records import DEFAULT_OPTIONS, ParserOptions
from tracertm.steps.model import Keyword
from tracertm.steps.scenarios import StepUse

_TYPES: dict[str, Keyword] = {"Context": "given", "Action": "when", "Outcome": "then"}


def _index(document: Mapping[str, Any]) -> tuple[dict[str, Mapping[str, Any]], set[str]]:
    """AST node id → node (steps, scenarios, example rows) and the ids of Background steps."""
    nodes: dict[str, Mapping[str, Any]] = {}
    background: set[str] = set()
    stack: list[Any] = [document.get("feature") or {}]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, Mapping):
            continue
        if "id" in node and "location" in node:
            nodes[str(node["id"])] = node
        if "background" in node:
            background.update(str(step["id"]) for step in node["background"].get("steps", ()))
        for key in ("children", "background", "scenario", "rule", "steps", "examples", "tableBody"):
            if key in node:
                stack.append(node[key])
    return nodes, background


def feature_steps(path: str, data: bytes, options: ParserOptions = DEFAULT_OPTIONS) -> list[StepUse]:
    """Every executed step of a feature file, in pickle order; ``ParseError`` when it is not valid Gherkin (the
    feature parser reports that error with every detail; here the file just has no steps)."""
    from gherkin.errors import CompositeParserException, ParserException
    from gherkin.parser import Parser
    from gherkin.pickles.compiler import Compiler
    from gherkin.token_scanner import TokenScanner

    text = decode_text(path, data, options)
    try:
        parsed: dict[str, Any] = dict(Parser().parse(TokenScanner(text)))
    except (CompositeParserException, ParserException) as exc:
        raise ParseError(path, 0, 0, f"not valid Gherkin ({exc})") from None
    parsed["uri"] = path
    nodes, background = _index(parsed)
    pickles: Any = Compiler().compile(cast(Any, parsed))
    return list(_uses(path, pickles, nodes, background))


def _uses(
    path: str, pickles: Iterable[Mapping[str, Any]], nodes: Mapping[str, Mapping[str, Any]], background: set[str]
) -> Iterator[StepUse]:
    for pickle in pickles:
        ids = [str(i) for i in pickle.get("astNodeIds", ())]
        scenario = nodes.get(ids[0]) if ids else None
        scenario_line = int(scenario["location"]["line"]) if scenario else int(pickle["location"]["line"])
        row_line = int(pickle["location"]["line"]) if len(ids) > 1 else None
        previous: Keyword = "given"
        for step in pickle.get("steps", ()):
            step_ids = [str(i) for i in step.get("astNodeIds", ())]
            node = nodes.get(step_ids[0]) if step_ids else None
            kind = _TYPES.get(str(step.get("type")))
            previous = kind or previous
            yield StepUse(
                path=path,
                line=int(node["location"]["line"]) if node else scenario_line,
                keyword=str(node["keyword"]).strip() if node else "*",
                type=previous,
                text=str(step["text"]),
                scenario=str(pickle.get("name", "")),
                scenario_line=scenario_line,
                row_line=row_line,
                background=bool(step_ids) and step_ids[0] in background,
                column=int(node["location"].get("column", 1)) if node else 1,
            )
