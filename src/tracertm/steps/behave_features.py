"""What behave's own feature parser refuses in a feature file that gherkin (and so tracertm's feature parser) takes —
behave raises ``ParserError`` and runs no feature at all:

- a conjunction (``And``, ``But``) with no Given, When or Then step before it in its scenario — behave's parser
  types a conjunction by the step before it, and a scenario starts afresh (``last_step_type`` is reset at each
  scenario; the Backgrounds' last step counts): "AND-STEP REQUIRES: An previous Given/When/Then step."; gherkin
  makes such a step ``Unknown`` and Cucumber runs it (``conjunction_first``);
- a doc string between ``` (triple backtick) lines, and ``Examples:`` under a plain ``Scenario:``/``Example:``
  (``parsers.feature_behave``; ``parser_refusals``).
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable

from tracertm.errors import Diagnostic
from tracertm.parsers.step_text import as_written
from tracertm.steps.scenarios import FeatureSteps, StepUse


def runs(feature: str, folders: Collection[str]) -> bool:
    """Whether behave, run on one of its features ``folders`` (``behave_layout.base`` of its step modules and
    ``environment.py``: ``""`` is the repository's top), parses feature file ``feature``: behave collects the
    feature files under the folder it runs, at any depth."""
    return any(not folder or feature.startswith(folder + "/") for folder in folders)


def conjunction_first(path: str, uses: Iterable[StepUse]) -> list[Diagnostic]:
    """An error at each conjunction that starts what behave parses as a scenario's steps — its Backgrounds' and its
    own, in order — in feature file ``path`` (``uses``: its executed steps, ``scenarios.feature_uses``): behave
    refuses the file (``ParserError``) and runs no feature. A ``*`` first is behave's Given; a conjunction after
    a Background step takes that step's type, as behave's ``_select_last_background_step_type`` does."""
    out: dict[int, Diagnostic] = {}
    previous: tuple[int, int | None] | None = None
    for use in uses:
        run = (use.scenario_line, use.row_line)  # one run of a scenario: an outline's Examples row
        first = run != previous
        previous = run
        if not first or use.line in out:
            continue
        kind = _CONJUNCTIONS().get(use.keyword.strip())
        if kind is None:
            continue
        where = "the Background" if use.background else f"scenario {use.scenario!r}"
        out[use.line] = Diagnostic(
            path, use.line, use.column,
            f"step '{as_written(use.keyword.strip(), use.text)}' starts {where} with no Given, When or Then step "
            "before it: "
            f"behave refuses to parse {path} (ParserError: {kind.upper()}-STEP REQUIRES: An previous "
            "Given/When/Then step.) and runs no feature — start it with Given, When or Then", names=(path,))
    return list(out.values())


def parser_refusals(path: str, uses: Iterable[StepUse]) -> list[Diagnostic]:
    """An error at each doc string between ``` (triple backtick) lines and at each plain scenario's first
    ``Examples:`` in feature file ``path`` (``uses``: its executed steps, ``scenarios.feature_uses``, which keep where
    they are): behave's parser stops there (``ParserError``) and runs no feature."""
    if not isinstance(uses, FeatureSteps):
        return []
    out = [Diagnostic(
        path, line, column,
        f"doc string between ``` lines: behave refuses to parse {path} (ParserError: Parser failure in state=steps; "
        "behave delimits a doc string with \"\"\" or ''' lines only) and runs no feature — delimit it with \"\"\"",
        names=(path,)) for line, column in uses.fences]
    out.extend(Diagnostic(
        path, line, column,
        f"Examples under a plain '{keyword}:': behave refuses to parse {path} (ParserError: Examples must only "
        f"appear inside scenario outline) and runs no feature — write '{_outline_keyword(uses.language)}:' instead "
        f"of '{keyword}:'", names=(path,)) for line, column, keyword in uses.plain_examples)
    return sorted(out, key=lambda d: (d.line, d.column))


def _outline_keyword(language: str) -> str:
    """The first Scenario Outline keyword of a Gherkin language (``Scenario Outline`` in English)."""
    from gherkin.dialect import Dialect

    dialect = Dialect.for_name(language) or Dialect.for_name("en")
    assert dialect is not None
    return str(dialect.scenario_outline_keywords[0]).strip()


@functools.cache
def _CONJUNCTIONS() -> dict[str, str]:  # noqa: N802 - a constant, computed once
    """The And and But keywords of every Gherkin language → ``and`` / ``but`` (``*`` and any keyword that is also a
    Given, When or Then of some language left out: behave would read those as a step type)."""
    from gherkin.dialect import DIALECTS

    typed = {k.strip() for d in DIALECTS.values() for kind in ("given", "when", "then") for k in d[kind]}
    return {k.strip(): kind for d in DIALECTS.values() for kind in ("and", "but") for k in d[kind]
            if k.strip() not in typed}


__all__ = ["conjunction_first", "parser_refusals", "runs"]
