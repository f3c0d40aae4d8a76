"""``diff``'s parse method and an identity two files claim: which one keeps it at each commit, as sync decides.

The parse method reads only the files that differ between the two commits, but a file both commits hold alike may
claim an id one of them claims: the file that keeps it against a newcomer, or a newcomer that lost it and takes it
over once the other file goes away (README "How sync decides": Conflicts). Such files are found without reading
every file: those whose name or content mentions the id's number (one ``git grep`` of the tree), sketched by the
check's regular expressions (``tracertm.sketches``), and parsed when the sketch claims the id. Which claimant keeps
an id is ``engine.plan.keeper``'s rule, as if the first commit then the second were synced: at the first, the file
that claimed it first (added earliest on the first-parent history: the one a backfill met first); at the second,
the first commit's keeper while it still claims the id, else again the earliest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tracertm.errors import Diagnostic
from tracertm.parsers.records import ParseResult

Key = tuple[str, str]  # (kind, id)

# The kinds whose files may claim one id: a step definition's id names its own file.
_CLAIMING = ("adr", "contract", "feature")
# An id made of a word and a number (``ADR-0007``, ``CTR-0012``): a file may claim it by the number alone (``# 7.
# Title``, ``id: 12``), written with or without its leading zeros.
_NUMBERED = re.compile(r"[A-Za-z]+[-_ ]?0*(\d+)")
# More folders than this to search: the whole spec root is searched instead (one pathspec).
_MAX_FOLDERS = 256


def claims_of(outcome: Any) -> list[tuple[Key, int]]:
    """The identities a file's parse claims (of the kinds two files may claim alike), each with its line."""
    if not isinstance(outcome, ParseResult) or outcome.kind not in _CLAIMING:
        return []
    return [((rec.kind, rec.number), rec.line) for rec in outcome.records]


def other_claimants(
    location: Any, settings: Any, commits: Sequence[str], snaps: Sequence[Any], differing: Iterable[str],
    wanted: set[Key], jobs: int,
) -> dict[str, ParseResult]:
    """The files both commits (``snaps``: their scans) hold alike (the same blob) that claim one of ``wanted``,
    parsed (at the second commit, which holds them as the first does)."""
    from tracertm.engine.parse import hash_records, parse_files
    from tracertm.sketches import sketch_text

    if not wanted:
        return {}
    a, b = snaps[0].files, snaps[1].files
    skip = set(differing)
    kinds = {kind for kind, _ in wanted}
    alike = {p: f for p, f in b.items() if p not in skip and p in a and f.error is None and f.kind in kinds}
    if not alike:
        return {}
    patterns = [_pattern(number) for _, number in wanted]
    named = [re.compile(p, re.IGNORECASE) for p in patterns]
    # A link's blob is its target's name, which ``git grep`` searches instead of the content: always a candidate.
    candidates = {p for p, f in alike.items() if f.target is not None or any(n.search(p) for n in named)}
    candidates |= _grep(location, commits[1], patterns, set(alike) - candidates)
    contents = snaps[1].read(sorted(candidates))
    numbers = {number for _, number in wanted}
    claiming = [p for p in sorted(candidates) if any(
        (alike[p].kind, r.number) in wanted
        for r in sketch_text(p, alike[p].kind, contents[p], settings.parser).records if r.number in numbers)]
    parsed = parse_files([(p, alike[p].kind, contents[p]) for p in claiming], settings.parser, jobs,
                         prepare=hash_records)
    return {p: r for p, r in parsed.items() if isinstance(r, ParseResult)}


def _pattern(number: str) -> str:
    """A POSIX extended regular expression found in every file claiming ``number`` (case aside): its number with
    any leading zeros, or its text up to a ``#`` (a contract's second document, ``payments#2``)."""
    match = _NUMBERED.fullmatch(number)
    if match is not None:
        return f"(^|[^0-9])0*{match[1].lstrip('0') or '0'}([^0-9]|$)"
    return re.sub(r"([.\[\]()*+?{}|^$\\])", r"\\\1", number.split("#", 1)[0])


def _grep(location: Any, commit: str, patterns: list[str], paths: set[str]) -> set[str]:
    """Those of ``paths`` whose content at ``commit`` matches one of ``patterns`` (case aside)."""
    from tracertm import git

    if not paths:
        return set()
    prefix = location.prefix
    folders = sorted({prefix + p.rpartition("/")[0] for p in paths})
    specs = git.pathspecs(tuple(folders) if len(folders) <= _MAX_FOLDERS else (prefix.rstrip("/"),))
    args = ["grep", "-l", "-z", "-I", "-i", "-E"]
    for pattern in patterns:
        args += ["-e", pattern]
    # Exit 1: nothing matched (its output is empty then).
    out = git.run(location.top, *args, commit, "--", *specs, check=False)
    found = {name.split(":", 1)[1] for name in out.decode("utf-8", "surrogateescape").split("\0") if ":" in name}
    return {p for p in paths if prefix + p in found}


def settle(
    places: Sequence[Any], commits: Sequence[str], outcomes: Sequence[Mapping[str, Any]],
    others: Mapping[str, ParseResult], differing: set[str],
) -> tuple[list[dict[Key, str]], list[Diagnostic]]:
    """Who keeps each identity claimed twice, at each commit (``places``: the spec folder there, a
    ``Location``; ``outcomes``: the differing files' parses there;
    ``others``: the files both hold alike that claim one of their ids), and the errors of the differing files that
    lost one (as sync words them, with the commit)."""
    from tracertm.engine.plan import conflict, keeper

    kept: list[dict[Key, str]] = []
    errors: list[Diagnostic] = []
    before: dict[Key, str] = {}  # the first commit's keeper of every id
    for side, (commit, outcome) in enumerate(zip(commits, outcomes)):
        claims: dict[Key, list[tuple[str, int]]] = {}
        for path, result in [*outcome.items(), *others.items()]:
            for key, line in claims_of(result):
                claims.setdefault(key, []).append((path, line))
        winners: dict[Key, str] = {}
        for key, found in claims.items():
            paths = sorted(p for p, _ in found)
            known = before.get(key) if side else None
            if len(paths) > 1 and known not in paths:
                paths = _by_first_claim(places[side], commit, paths)
            winners[key] = keeper(paths, known)
            for path, line in sorted(found):
                if path != winners[key] and path in differing:
                    diag = conflict(key[0], key[1], path, line, winners[key])
                    errors.append(Diagnostic(diag.path, diag.line, diag.column, f"at {commit[:12]}: {diag.message}",
                                             diag.severity))
        before = winners
        kept.append({key: path for key, path in winners.items() if len(claims[key]) > 1})
    return kept, errors


def _by_first_claim(location: Any, commit: str, paths: list[str]) -> list[str]:
    """Files claiming one id at ``commit``, the one added earliest on its first-parent history first (those added
    by one commit by path): a backfill met it first, and it kept the id."""
    from tracertm import git

    def depth(path: str) -> int:
        added = git.run(location.top, *git.NO_SIGNATURES, "log", "--first-parent", "--diff-filter=A", "--format=%H",
                        "-1", commit, "--", *git.pathspecs((location.prefix + path,)), check=False).decode().strip()
        if not added:
            return 0
        return int(git.run(location.top, "rev-list", "--first-parent", "--count", added).decode().strip() or 0)

    return sorted(paths, key=lambda p: (depth(p), p))
