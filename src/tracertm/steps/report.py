"""The step report: every definition with the steps that use it, the unused ones, the undefined and ambiguous
steps, and the findings about step files; rendered as text (grouped like behave's ``steps.usage`` and cucumber-js's
``usage`` formatter) or as a JSON-ready dict."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tracertm.errors import Diagnostic, ParseError
from tracertm.steps.expressions import DefinitionError, Registries, compile_definition
from tracertm.steps.matching import StepIndex, StepResult
from tracertm.steps.model import StepDefinition, StepFile
from tracertm.steps.scenarios import StepUse

FILTERS = ("undefined", "unused", "ambiguous")


@dataclass
class StepReport:
    """Definitions (file order), per-step results (feature order) and findings."""

    definitions: list[StepDefinition] = field(default_factory=list)
    results: list[StepResult] = field(default_factory=list)
    errors: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    broken: set[str] = field(default_factory=set)  # identities of definitions that cannot match (findings above)
    step_files: int = 0
    feature_files: int = 0

    def uses(self) -> dict[str, list[StepResult]]:
        """Definition identity → the steps it alone matches (ambiguous steps count for none, as in cucumber)."""
        out: dict[str, list[StepResult]] = {d.identity: [] for d in self.definitions}
        for r in self.results:
            d = r.definition
            if d is not None:
                out[d.identity].append(r)
        return out

    def usage_counts(self) -> dict[str, int]:
        return {identity: len(results) for identity, results in self.uses().items()}

    def unused(self) -> list[StepDefinition]:
        """Definitions no step matches at all. (One that only ambiguous steps match is not unused: the ambiguity is
        the finding. Its usage count is still 0, as in cucumber-js's usage report.)"""
        matched = {d.identity for r in self.results for d, _ in r.matches}
        return [d for d in self.definitions if d.identity not in matched and d.identity not in self.broken]

    def undefined(self) -> list[StepResult]:
        return _distinct(r for r in self.results if r.status == "undefined")

    def ambiguous(self) -> list[StepResult]:
        return _distinct(r for r in self.results if r.status == "ambiguous")

    def as_dict(self, only: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "step_files": self.step_files,
            "feature_files": self.feature_files,
            "steps": len(self.results),
            "errors": [d.as_dict() for d in self.errors],
            "warnings": [d.as_dict() for d in self.warnings],
        }
        if only in (None, "unused"):
            uses = self.uses()
            definitions = self.unused() if only == "unused" else self.definitions
            out["definitions"] = [
                {**d.as_dict(), "usage_count": len(uses[d.identity]),
                 "matches": [_use_dict(r) for r in _distinct(uses[d.identity])]}
                for d in definitions
            ]
        if only in (None, "undefined"):
            out["undefined"] = [r.use.as_dict() for r in self.undefined()]
        if only in (None, "ambiguous"):
            out["ambiguous"] = [r.as_dict() for r in self.ambiguous()]
        return out


def _use_dict(r: StepResult) -> dict[str, object]:
    args = r.matches[0][1] if r.matches else ()
    return {**r.use.as_dict(), "arguments": [a.value for a in args]}


def _distinct(results: Iterable[StepResult]) -> list[StepResult]:
    """One per (feature, line, text): a Background step counts once, an outline step once per distinct text."""
    seen: dict[tuple[str, int, str], StepResult] = {}
    for r in results:
        seen.setdefault((r.use.path, r.use.line, r.use.text), r)
    return list(seen.values())


# ---------------------------------------------------------------------------------------------------- building


def build_report(
    step_files: Mapping[str, StepFile | ParseError],
    features: Mapping[str, list[StepUse] | ParseError],
) -> StepReport:
    """Compile every definition with the project's parameter types, match every step, collect the findings.
    Features that are not valid Gherkin are skipped (the feature parser reports them).

    With the cyclic garbage collector paused (``tracertm.collector``), as a sync's matching is: a report builds a
    result per executed step (130,000 on the large bench corpus) next to every parsed feature, and each
    collection re-scanned them all — half the CPU time of matching the large corpus."""
    from tracertm.collector import collector_paused

    with collector_paused():
        return _build_report(step_files, features)


def _build_report(
    step_files: Mapping[str, StepFile | ParseError],
    features: Mapping[str, list[StepUse] | ParseError],
) -> StepReport:
    report = StepReport(step_files=len(step_files), feature_files=len(features))
    files = [step_files[p] for p in sorted(step_files)]
    for f in files:
        if isinstance(f, ParseError):
            report.errors.extend(f.diagnostics)
        else:
            report.errors.extend(f.errors)
            report.warnings.extend(f.warnings)
    parsed = [f for f in files if isinstance(f, StepFile)]
    registries = Registries(t for f in parsed for t in f.parameter_types)
    compiled = []
    for f in parsed:
        for d in f.definitions:
            report.definitions.append(d)
            try:
                compiled.append(compile_definition(d, registries))
            except DefinitionError as exc:
                report.broken.add(d.identity)
                finding = Diagnostic(d.path, d.line, d.column, f"step definition {d.display_pattern!r} {exc}",
                                     exc.severity)
                (report.errors if exc.severity == "error" else report.warnings).append(finding)
    report.errors.extend(registries.findings)
    index = StepIndex(compiled)
    for p in sorted(features):
        uses = features[p]
        if not isinstance(uses, ParseError):
            report.results.extend(index.match_all(uses))
    report.errors.extend(index.findings())
    report.broken.update(index.slow)
    return report


# --------------------------------------------------------------------------------------------------- rendering


def _keyword_call(d: StepDefinition) -> str:
    name: str = d.keyword
    if d.language in ("javascript", "typescript", "java", "ruby", "csharp", "go"):
        name = name.capitalize()
    shown = d.display_pattern
    if not (d.kind == "regex" and shown.startswith("/") and d.language in ("javascript", "typescript", "ruby")):
        shown = f"'{shown}'"  # as written (no escaping), like behave's steps.usage
    return f"@{name}({shown})" if d.language in ("python", "java", "csharp") else f"{name}({shown})"


def _step_line(r: StepResult) -> str:
    row = f" (Examples row line {r.use.row_line})" if r.use.row_line is not None else ""
    return f"{r.use.keyword} {r.use.text}  # {r.use.location}{row}"


def render_text(report: StepReport, only: str | None = None) -> str:
    """The report as text: usage per definition (file order), then the unused, undefined and ambiguous sections."""
    out: list[str] = []
    uses = report.uses()
    if only is None:
        for d in report.definitions:
            matched = _distinct(uses[d.identity])
            if not matched:
                continue
            out.append(f"{_keyword_call(d)}  # {d.location}  ({len(uses[d.identity])} uses)")
            out.extend(f"  {_step_line(r)}" for r in matched)
            out.append("")
    if only in (None, "unused"):
        unused = report.unused()
        out.append(f"UNUSED STEP DEFINITIONS[{len(unused)}]:")
        out.extend(f"  {_keyword_call(d)}  # {d.location}" for d in unused)
        out.append("")
    if only in (None, "undefined"):
        undefined = report.undefined()
        out.append(f"UNDEFINED STEPS[{len(undefined)}]:")
        out.extend(f"  {_step_line(r)}" for r in undefined)
        out.append("")
    if only in (None, "ambiguous"):
        ambiguous = report.ambiguous()
        out.append(f"AMBIGUOUS STEPS[{len(ambiguous)}]:")
        for r in ambiguous:
            out.append(f"  {_step_line(r)}")
            out.extend(f"    matches {_keyword_call(d)}  # {d.location}" for d, _ in r.matches)
        out.append("")
    return "\n".join(out).rstrip("\n")
