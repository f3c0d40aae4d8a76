"""Cross-file rules over sketches (``tracertm.sketches``): an id claimed twice, an id of two kinds, references to
ADRs that do not exist. Used by ``check`` in both modes (every file, or the files a commit changes against sketches
of the others) and by ``cross_check`` over parse results. Imports nothing heavy: it runs in the pre-commit hook."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from collections.abc import Set as AbstractSet

from tracertm.check_cache import Claims
from tracertm.kinds import SHARED_KINDS as _SHARED_KINDS, shared_id as _shared
from tracertm.errors import Diagnostic
from tracertm.parsers.records import ParseResult
from tracertm.sketches import Sketch, sketch_result

__all__ = ["adr_base", "adr_resolver", "ambiguous_text", "cross_check", "cross_check_sketches", "resolve_adr"]

# ---------------------------------------------------------------------------------------- ADR references

# An ADR id in its normal form (``ADR-0008``: what ``ADR-8``, ``@ADR-8``, ``8`` are read as).
_PLAIN_ADR = re.compile(r"ADR-\d{4,12}")


def _slugged_number(identifier: str) -> str | None:
    # The ADR identity rules load the ADR parser's package: only when a reference names no ADR exactly.
    from tracertm.parsers.adr.identity import slugged_number

    return slugged_number(identifier)


def adr_base(identifier: str) -> str | None:
    """The number an ADR id or reference stands on: ``ADR-0008`` for ``ADR-0008`` and for ``ADR-0008-use-x``; None
    for any other id (a file slug, ``use-x``). A reference can only ever name an ADR with the same base."""
    if _PLAIN_ADR.fullmatch(identifier):
        return identifier
    return _slugged_number(identifier) if identifier[:3].casefold() == "adr" else None


def resolve_adr(
    target: str, is_adr: Callable[[str], bool], numbered: Callable[[str], Sequence[str]]
) -> tuple[str | None, tuple[str, ...]]:
    """The ADR a reference names, by the ids of the ADRs there are — the one rule of ``check`` (every file, and the
    hook's ``--staged``), of the links a sync stores and of a backfill's: ``(id, ())``, or ``(None, ids)`` when it
    names none (``ids``: the ADRs it could name, when it is ambiguous; else empty).

    A reference names the ADR with exactly its id if there is one. Else a reference with a slug (``ADR-0005-use-x``,
    as a project whose ADRs have such ids writes them) names the ADR with its number (``ADR-0005``, the id a file
    ``0005-use-x.md`` gets) if there is one; a plain ``ADR-0008`` (``@ADR-8``) names the one ADR whose id is
    ``ADR-0008`` with a slug (``ADR-0008-use-y``), and none when several have that number. ``is_adr(id)``: whether
    an ADR has that id; ``numbered(ADR-NNNN)``: the ids with a slug of that number."""
    if is_adr(target):
        return target, ()
    if _PLAIN_ADR.fullmatch(target):
        found = sorted(numbered(target))
        if len(found) == 1:
            return found[0], ()
        return None, tuple(found)
    base = adr_base(target)
    if base is not None and base != target and is_adr(base):
        return base, ()
    return None, ()


def adr_resolver(ids: AbstractSet[str]) -> Callable[[str], tuple[str | None, tuple[str, ...]]]:
    """``resolve_adr`` over the ADR ids ``ids`` (every ADR there is)."""
    index: dict[str, list[str]] = {}
    for identifier in ids:
        base = adr_base(identifier)
        if base is not None and base != identifier:
            index.setdefault(base, []).append(identifier)
    return lambda target: resolve_adr(target, ids.__contains__, lambda number: index.get(number, ()))


def ambiguous_text(ids: Sequence[str]) -> str:
    """Why a reference names no ADR when several (``ids``) have its number: after "refers to X, "."""
    names = ", ".join(ids[:-1]) + f" and {ids[-1]}" if len(ids) > 1 else ids[0]
    return f"which is ambiguous: {names} have that number; write the full id of the one meant"


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


def _ambiguous(what: str, target: str, ids: Sequence[str]) -> str:
    return f"{what} refers to {target}, {ambiguous_text(ids)}"


def cross_check_sketches(
    sketches: MutableMapping[str, Sketch],
    claims: Claims,
    *,
    changed: set[str] | None,
    vanished: AbstractSet[str] = frozenset(),
    appeared: AbstractSet[str] = frozenset(),
    exact: Callable[[Iterable[str]], Mapping[str, Sketch]] | None = None,
    newcomers: AbstractSet[str] = frozenset(),
    warnings: list[Diagnostic] | None = None,
) -> list[Diagnostic]:
    """Cross-file rules over sketches and their claims index (both kept in step). ``changed=None``: every file is
    reported on. Otherwise only the changed files, plus unchanged files whose references the change broke: that
    named an ADR before it (by ``resolve_adr``, over the ADR ids of now without ``appeared`` — added by the
    change — and with ``vanished`` — taken away by it) and name none now; approximate sketches involved in such
    an error are first replaced by ``exact(paths)``. Of the claimants of one id the first by path keeps it,
    ``newcomers`` after the others. The ADR ids that files failing to parse declare (``Sketch.broken``) are
    no claims, but a reference to one is no error. Returns the errors; an id of records of several kinds is a
    warning, added to ``warnings``."""

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
        # (not the ids broken files declare: nothing of theirs is certain)
        if changed is None:
            keys: Iterable[str] = (k for k in claims.owners if not k.startswith("broken-"))
        else:
            keys = {_key(sketches[p].kind, r.number) for p in changed if not sketches[p].broken
                    for r in sketches[p].records}
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
            errors.append(Diagnostic(p, line, 1, _duplicate(kind, number, other), names=(other,)))

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
            numbers = {r.number for p in changed if sketches[p].kind in _SHARED_KINDS and not sketches[p].broken
                       for r in sketches[p].records}
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

    def named(target: str) -> tuple[str | None, tuple[str, ...]]:
        return resolve_adr(target, claims.is_adr, claims.numbered)

    def missing(target: str) -> tuple[str, ...] | None:
        """None when ``target`` names an ADR, or may name one that a file failing to parse declares (that file's
        own error is the finding: its ADR exists, and keeps its records in a sync); else the ADRs it could name
        (several: it is ambiguous whatever the broken files hold; none: it names nothing)."""
        named_id, several = named(target)
        if named_id is not None:
            return None
        declared, candidates = resolve_adr(
            target, lambda n: claims.is_adr(n) or claims.declares(n),
            lambda n: [*claims.numbered(n), *claims.numbered(n, "broken-adr")],
        )
        return None if declared is not None or (candidates and not several) else several

    # The ADR numbers whose references the change may have broken: those of the ids it took away, and those of the
    # ids with a slug it added (a plain ``ADR-0008`` that named ``ADR-0008-a`` is ambiguous once ``ADR-0008-b`` is
    # there; any other id a change adds can only make a reference name something).
    touched: set[str | None] = {adr_base(n) for n in vanished}
    touched |= {b for n in appeared if (b := adr_base(n)) is not None and b != n}
    touched.discard(None)

    def was_adr(number: str) -> bool:
        return number in vanished or (number not in appeared and claims.is_adr(number))

    def was_numbered(number: str) -> list[str]:
        now = [n for n in claims.numbered(number) if n not in appeared]
        return now + [n for n in vanished if n != number and adr_base(n) == number]

    def broken(target: str) -> bool:
        """Whether the change made ``target`` name no ADR (it named one before)."""
        return (
            adr_base(target) in touched and missing(target) is not None
            and resolve_adr(target, was_adr, was_numbered)[0] is not None
        )

    suspects = {
        p
        for p, s in (sketches.items() if touched and changed is not None else ())
        if not is_changed(p) and any(broken(t) for r in s.records for _, t in r.refs)
    }
    confirm(suspects)
    for p in sorted(sketches if changed is None else changed | suspects):
        for rec in sketches[p].records:
            # One error per missing ADR, under the first field naming it — of the record, and of each of a
            # feature's scenarios (whose own tag is its link's line, as a sync stores it, though the feature's tag
            # names that ADR too).
            reported: set[tuple[str, str]] = set()
            for index, (what, target) in enumerate(rec.refs):
                naming = (what if what.startswith("scenario ") else "", target)
                if naming in reported or not (is_changed(p) or broken(target)):
                    continue
                several = missing(target)
                if several is not None:
                    reported.add(naming)
                    message = _ambiguous(what, target, several) if several else _dangling(what, target)
                    errors.append(Diagnostic(p, rec.ref_line(index), rec.ref_column(index), message))
    return errors


# ------------------------------------------------------------------------------------------------------ cache
