"""``tracertm.check()``: validate the spec files of a source without a database.

Imports nothing heavy (no SQLAlchemy): it runs in pre-commit hooks on every commit.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tracertm.config import load_settings
from tracertm.errors import Diagnostic, ParseError
from tracertm.parsers.records import ParseResult
from tracertm.sync.parse import default_jobs, parse_files
from tracertm.sync.scan import Location, scan


@dataclass
class CheckResult:
    """Errors and warnings of every file checked; ``ok`` honours ``strict`` (warnings count as errors)."""

    errors: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    files_checked: int = 0
    strict: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors and not (self.strict and self.warnings)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "files_checked": self.files_checked,
            "errors": [d.as_dict() for d in self.errors],
            "warnings": [d.as_dict() for d in self.warnings],
        }


def check(
    path: str | os.PathLike[str] | None = None,
    *,
    ref: str | None = None,
    staged: bool = False,
    strict: bool = False,
    jobs: int | None = None,
) -> CheckResult:
    """Parse every spec file of the work tree (or ``ref``, or the index with ``staged``) and validate the
    references between them. Never touches a database."""
    location = Location.find(path)
    settings = load_settings(location.root)
    snapshot = scan(location, settings, ref=ref, staged=staged)
    result = CheckResult(strict=strict)
    try:
        readable = sorted(p for p, f in snapshot.files.items() if f.error is None)
        contents = snapshot.read(readable)
    finally:
        snapshot.close()
    for f in snapshot.files.values():
        if f.error is not None:
            result.errors.append(f.error)
    work = [(p, snapshot.files[p].kind, contents[p]) for p in readable]
    outcomes = parse_files(work, settings.parser, jobs if jobs is not None else default_jobs())
    parsed: dict[str, ParseResult] = {}
    for p in sorted(outcomes):
        outcome = outcomes[p]
        if isinstance(outcome, ParseError):
            result.errors.extend(outcome.diagnostics)
        else:
            parsed[p] = outcome
            result.warnings.extend(outcome.warnings)
    result.errors.extend(cross_check(parsed.values()))
    result.files_checked = len(snapshot.files)
    result.errors.sort(key=lambda d: (d.path, d.line, d.column))
    return result


def cross_check(results: Iterable[ParseResult]) -> list[Diagnostic]:
    """References between files: duplicate identities, ADR links to ADRs that do not exist, features tagged with
    unknown ADR ids. Files that failed to parse are simply absent (their own errors are reported already)."""
    errors: list[Diagnostic] = []
    seen: dict[tuple[str, str], str] = {}
    adrs: set[str] = set()
    ordered = sorted(results, key=lambda r: r.path)
    for res in ordered:
        for rec in res.records:
            key = (res.kind, rec.number)
            if key in seen:
                errors.append(
                    Diagnostic(res.path, rec.line, 1, f"{res.kind} {rec.number} is already defined in {seen[key]}; give one of them another id")
                )
            else:
                seen[key] = res.path
            if res.kind == "adr":
                adrs.add(rec.number)
    for res in ordered:
        for rec in res.records:
            if res.kind == "adr":
                refs = [("supersedes", rec.fields.get("supersedes")), ("superseded_by", rec.fields.get("superseded_by"))]
                refs += [("related_adrs", r) for r in rec.fields.get("related_adrs") or ()]
            elif res.kind == "feature":
                refs = [("tag", r) for r in rec.fields.get("related_adrs") or ()]
            else:
                continue
            for what, target in refs:
                if target and target not in adrs:
                    errors.append(
                        Diagnostic(res.path, rec.line, 1, f"{what} refers to {target}, which is not an ADR of this repository; fix the id or add the ADR")
                    )
    return errors
