"""Cross-file rules over sketches (``tracertm.sketches``): an id claimed twice, an id of two kinds, references to
ADRs that do not exist. Used by ``check`` in both modes (every file, or the files a commit changes against sketches
of the others) and by ``cross_check`` over parse results. Imports nothing heavy: it runs in the pre-commit hook."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, MutableMapping
from collections.abc import Set as AbstractSet

from tracertm.check_cache import Claims
from tracertm.engine.plan import SHARED_KINDS as _SHARED_KINDS
from tracertm.engine.plan import shared_id as _shared
from tracertm.errors import Diagnostic
from tracertm.parsers.records import ParseResult
from tracertm.sketches import Sketch, sketch_result

__all__ = ["cross_check", "cross_check_sketches"]


def _key(kind: str, number: str) -> str:
    return f"{kind}\t{number}"


def cross_check(results: Iterable[ParseResult]) -> list[Diagnostic]:
    """References between files: duplicate identities, ADR links to ADRs that do not exist, features tagged with
    unknown ADR ids. Files that failed to parse are simply absent (their own errors are reported already)."""
    sketches = {r.path: sketch_result(r) for r in results}
    claims = Claims()
    for p in sorted(sketches):
        claims.add(p, sketches[p])
    warnings: list[Diagnostic] = []
    return cross_check_sketches(sketches, claims, changed=None, warnings=warnings) + warnings


def _duplicate(kind: str, number: str, other: str) -> str:
    return f"{kind} {number} is already defined in {other}; give one of them another id"


def _dangling(what: str, target: str) -> str:
    return f"{what} refers to {target}, which is not an ADR of this repository; fix the id or add the ADR"


def cross_check_sketches(
    sketches: MutableMapping[str, Sketch],
    claims: Claims,
    *,
    changed: set[str] | None,
    vanished: AbstractSet[str] = frozenset(),
    exact: Callable[[Iterable[str]], Mapping[str, Sketch]] | None = None,
    newcomers: AbstractSet[str] = frozenset(),
    warnings: list[Diagnostic] | None = None,
) -> list[Diagnostic]:
    """Cross-file rules over sketches and their claims index (both kept in step). ``changed=None``: every file is
    reported on. Otherwise only the changed files, plus unchanged files that refer to an ADR id in ``vanished``
    (taken away by the change); approximate sketches involved in such an error are first replaced by
    ``exact(paths)``. Of the claimants of one id the first by path keeps it, ``newcomers`` after the others.
    Returns the errors; an id of records of several kinds is a warning, added to ``warnings``."""

    def is_changed(p: str) -> bool:
        return changed is None or p in changed

    def confirm(paths: Iterable[str]) -> bool:
        rough = sorted({p for p in paths if not sketches[p].exact})
        if not rough or exact is None:
            return False
        for p, sketch in exact(rough).items():
            claims.remove(p, sketches[p])
            sketches[p] = sketch
            claims.add(p, sketch)
        return True

    def contested() -> dict[str, list[str]]:
        if changed is None:
            keys: Iterable[str] = claims.owners
        else:
            keys = {_key(sketches[p].kind, r.number) for p in changed for r in sketches[p].records}
        return {k: sorted(paths, key=lambda p: (p in newcomers, p)) for k in keys
                for paths in (claims.get(k) or (),) if len(paths) > 1}

    # Duplicates that involve a changed file; approximate claimants are parsed until every claim is exact.
    duplicates = contested()
    while confirm(p for paths in duplicates.values() for p in paths):
        duplicates = contested()
    errors: list[Diagnostic] = []
    for key, paths in sorted(duplicates.items()):
        kind, number = key.split("\t", 1)
        first = paths[0]
        for p in paths:
            if not is_changed(p):
                continue
            if p == first and any(is_changed(o) for o in paths[1:]):
                continue  # the changed later claimant carries the error, as when everything is checked
            other = first if p != first else paths[1]
            line = next(r.line for r in sketches[p].records if r.number == number)
            errors.append(Diagnostic(p, line, 1, _duplicate(kind, number, other)))

    def holders(number: str) -> list[tuple[str, str]]:
        """``(path, kind)`` of the file that keeps ``number`` in each kind claiming it, keeper first."""
        found = []
        for kind in _SHARED_KINDS:
            paths = claims.get(_key(kind, number))
            if paths:
                found.append((min(paths, key=lambda p: (p in newcomers, p)), kind))
        return sorted(found, key=lambda h: (h[0] in newcomers, _SHARED_KINDS.index(h[1]), h[0]))

    def shared() -> dict[str, list[tuple[str, str]]]:
        if changed is None:
            keys = (k.split("\t", 1) for k in claims.owners)
            numbers: Iterable[str] = {number for kind, number in keys if kind in _SHARED_KINDS}
        else:
            numbers = {r.number for p in changed if sketches[p].kind in _SHARED_KINDS for r in sketches[p].records}
        return {n: found for n in numbers for found in (holders(n),) if len(found) > 1}

    # One id in several kinds: a warning on the files that took it later (as sync: newcomers last, then by kind —
    # ADRs, contracts, features — then by path; see engine.plan._shared_ids).
    collisions = shared()
    while confirm(p for found in collisions.values() for p, _ in found):
        collisions = shared()
    for number, found in sorted(collisions.items()):
        first, later = found[0][0], found[1:]
        for p, kind in found:
            if not is_changed(p) or (p == first and any(is_changed(o) for o, _ in later)):
                continue
            other, other_kind = found[1] if p == first else found[0]
            line = next(r.line for r in sketches[p].records if r.number == number)
            if warnings is not None:
                warnings.append(Diagnostic(p, line, 1, _shared(kind, number, other_kind, other), "warning"))

    suspects = {
        p
        for p, s in (sketches.items() if vanished else ())
        if not is_changed(p) and any(t in vanished for r in s.records for _, t in r.refs)
    }
    confirm(suspects)
    for p in sorted(sketches if changed is None else changed | suspects):
        for rec in sketches[p].records:
            reported: set[str] = set()  # one error per missing ADR, under the first field naming it
            for index, (what, target) in enumerate(rec.refs):
                if not claims.is_adr(target) and target not in reported and (is_changed(p) or target in vanished):
                    reported.add(target)
                    errors.append(Diagnostic(p, rec.ref_line(index), 1, _dangling(what, target)))
    return errors


# ------------------------------------------------------------------------------------------------------ cache
