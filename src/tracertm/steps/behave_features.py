"""What behave's own feature parser refuses in a feature file that gherkin (and so tracertm's feature parser) takes:
a conjunction (``And``, ``But``) with no Given, When or Then step before it in its scenario — behave's parser
types a conjunction by the step before it, and a scenario starts afresh (``last_step_type`` is reset at each
scenario; the Backgrounds' last step counts). behave raises ``ParserError`` ("AND-STEP REQUIRES: An previous
Given/When/Then step.") and runs no feature at all; gherkin makes such a step ``Unknown`` and Cucumber runs it.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable

from tracertm.errors import Diagnostic
from tracertm.parsers.step_text import as_written
from tracertm.steps.scenarios import StepUse


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


@functools.cache
def _CONJUNCTIONS() -> dict[str, str]:  # noqa: N802 - a constant, computed once
    """The And and But keywords of every Gherkin language → ``and`` / ``but`` (``*`` and any keyword that is also a
    Given, When or Then of some language left out: behave would read those as a step type)."""
    from gherkin.dialect import DIALECTS

    typed = {k.strip() for d in DIALECTS.values() for kind in ("given", "when", "then") for k in d[kind]}
    return {k.strip(): kind for d in DIALECTS.values() for kind in ("and", "but") for k in d[kind]
            if k.strip() not in typed}


__all__ = ["conjunction_first", "runs"]
