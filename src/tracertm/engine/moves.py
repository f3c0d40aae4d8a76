"""Moves without ids: a renamed file whose records take their identity from the file name keeps its records.

An untagged feature (``features/login.feature`` is feature ``login``) or a contract without an ``id`` gets a new
number when its file is renamed, so ``plan`` alone sees one record deleted and another created. This pre-plan step
pairs the file that went away with the file that came, and re-keys the old records under the numbers the new file
gives them: ``plan`` then sees the same rows at a new path — a ``moved`` revision of the same record (its number
follows the new name), not a delete plus a create.

Which files are the same file: the same blob, or content similar enough (``similar_moves``, git's default 50%
rule, lines compared) between a file that went away and one that came — decided alike by a sync and by each commit
a backfill replays, so that a backfill still equals syncing each commit (git's own rename detection measures
similarity differently and would break that).

Only identities that come from the file name are paired (a number written in the file — ``@FEAT-3``, ``id:``, an
ADR's number — is the user's own: a new one is a new record), and a pairing never takes an identity another record
holds or a number another file still defines. Records named by their file and a name inside it (a step
definition's ``file::function``) pair by that name, so a step file moved with a definition added or removed keeps
the others.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

from tracertm import git
from tracertm.engine.plan import Current, FileRow
from tracertm.engine.regular_file import Beneath, read_regular
from tracertm.engine.scan import Snapshot
from tracertm.errors import ParseError
from tracertm.parsers.records import ParseResult, SpecRecord

Renumber = tuple[str, str, str]  # (kind, old number, new number)
SIMILARITY = 0.5  # git's default rename threshold (-M50%)
MAX_PAIRS = 10_000  # like git's diff.renameLimit: beyond this many candidate pairs, only identical blobs pair
MAX_COMPARED = 1 << 20  # bytes: larger files pair only when identical (a line diff of two big files is slow)


def pair_moves(
    moves: Mapping[str, str],
    parsed: Mapping[str, ParseResult | ParseError],
    current: Mapping[tuple[str, str], Current],
) -> list[Renumber]:
    """The records to re-key for ``moves`` (old path → new path): each live record of the old file, in number
    order, pairs with the record of the new file in the same place, when both files hold the same number of
    records of one kind, the new number is unknown to the database, and no file of this change defines the old one.

    ``current`` must hold the records located at the old paths and every parsed number (as ``plan`` requires)."""
    if not moves:
        return []
    defined = {(r.kind, rec.number) for r in parsed.values() if isinstance(r, ParseResult) for rec in r.records}
    at_path: dict[str, list[Current]] = {}
    for cur in current.values():
        if not cur.deleted and cur.source_path is not None and cur.source_path in moves:
            at_path.setdefault(cur.source_path, []).append(cur)
    out: list[Renumber] = []
    for old_path, new_path in sorted(moves.items()):
        result = parsed.get(new_path)
        olds = sorted(at_path.get(old_path, ()), key=lambda c: document_order(c.number))
        if not isinstance(result, ParseResult) or not olds or any(cur.kind != result.kind for cur in olds):
            continue
        if all(_inside(cur.number, old_path) for cur in olds):
            pairs = _pairs_by_name(olds, result.records, old_path, new_path)
        elif len(olds) == len(result.records):
            pairs = list(zip(olds, result.records))
        else:
            continue
        for cur, rec in pairs:
            named = named_after(cur.number, old_path) and named_after(rec.number, new_path)
            if rec.number == cur.number or not named:
                continue  # the same id (plan moves it), or an id written in the file: a new id is a new record
            if (cur.kind, rec.number) not in current and (cur.kind, cur.number) not in defined:
                out.append((cur.kind, cur.number, rec.number))
    return out


def renumbered(
    current: Mapping[tuple[str, str], Current], renumbers: Iterable[Renumber]
) -> dict[tuple[str, str], Current]:
    """``current`` with each renumbered record under its new number."""
    out = dict(current)
    for kind, old, new in renumbers:
        out[(kind, new)] = replace(out.pop((kind, old)), number=new)
    return out


def similar_moves(
    removed: Mapping[str, tuple[str, str]],
    added: Mapping[str, tuple[str, str]],
    read_old: Callable[[list[str]], Mapping[str, bytes]] | None,
    read_new: Callable[[list[str]], Mapping[str, bytes]],
) -> dict[str, str]:
    """Pairs (old path → new path) among files that went away and files that came, by kind: the same blob first,
    then the most similar content at or above ``SIMILARITY``. ``removed``/``added``: path → (kind, blob id);
    ``read_old(blob ids)`` gives the old contents (None: they cannot be read, only identical blobs pair) and
    ``read_new(paths)`` the new ones."""
    moves: dict[str, str] = {}
    by_blob: dict[tuple[str, str], list[str]] = {}
    for path, key in sorted(removed.items()):
        by_blob.setdefault(key, []).append(path)
    rest_new: dict[str, tuple[str, str]] = {}
    for path, key in sorted(added.items()):
        olds = by_blob.get(key)
        if olds:
            moves[olds.pop(0)] = path
        else:
            rest_new[path] = key
    rest_old = {p: k for p, k in removed.items() if p not in moves}
    candidates = [(o, n) for o in sorted(rest_old) for n in sorted(rest_new) if rest_old[o][0] == rest_new[n][0]]
    if not candidates or read_old is None or len(candidates) > MAX_PAIRS:
        return moves
    import difflib  # only when there is something to compare

    old_text = read_old(sorted({rest_old[o][1] for o, _ in candidates}))
    new_text = read_new(sorted({n for _, n in candidates}))
    scored: list[tuple[float, str, str]] = []
    for o, n in candidates:
        a, b = old_text.get(rest_old[o][1]), new_text.get(n)
        if a is None or b is None or len(a) > MAX_COMPARED or len(b) > MAX_COMPARED:
            continue
        matcher = difflib.SequenceMatcher(None, a.splitlines(), b.splitlines(), autojunk=False)
        if matcher.real_quick_ratio() >= SIMILARITY and matcher.quick_ratio() >= SIMILARITY:
            score = matcher.ratio()
            if score >= SIMILARITY:
                scored.append((-score, o, n))
    taken: set[str] = set()
    for _, o, n in sorted(scored):
        if o not in moves and n not in taken:
            moves[o] = n
            taken.add(n)
    return moves


def named_candidates(
    removed: Mapping[str, tuple[str, str]],
    added: Mapping[str, tuple[str, str]],
    parsed: Mapping[str, ParseResult | ParseError],
    numbers_at: Callable[[str], Iterable[str]],
) -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    """``removed`` and ``added`` narrowed to files whose records are named after them (``numbers_at(path)``: the
    live record numbers at a removed path): only those can pair, so no other file is read or compared."""
    olds = {p: k for p, k in removed.items() if any(named_after(n, p) for n in numbers_at(p))}
    if not olds:
        return {}, {}
    news = {p: k for p, k in added.items()
            if isinstance(o := parsed.get(p), ParseResult) and any(named_after(r.number, p) for r in o.records)}
    return (olds, news) if olds and news else ({}, {})


def snapshot_moves(
    snapshot: Snapshot,
    db_files: Mapping[str, FileRow],
    parsed: Mapping[str, ParseResult | ParseError],
    current: Mapping[tuple[str, str], Current],
) -> dict[str, str]:
    """Moves of a sync (old path → new path): indexed files gone from ``snapshot`` paired with files new to the
    index that parsed (``similar_moves``). Contents are read here (old ones from git's object store, when it has
    them), so the snapshot may be closed already."""
    files = snapshot.files
    removed: dict[str, tuple[str, str]] = {
        p: (r.kind, r.blob_sha) for p, r in db_files.items()
        if not r.deleted and p not in files and snapshot.in_scope(p)
    }
    if not removed:  # nothing can have moved (a first sync: every file is new, none gone)
        return {}
    added: dict[str, tuple[str, str]] = {
        p: (files[p].kind, files[p].blob_sha) for p, o in parsed.items()
        if isinstance(o, ParseResult) and (p not in db_files or db_files[p].deleted)
    }
    live: dict[str, list[str]] = {}
    for cur in current.values():
        if not cur.deleted and cur.source_path in removed:
            live.setdefault(cur.source_path, []).append(cur.number)
    removed, added = named_candidates(removed, added, parsed, lambda p: live.get(p, ()))
    if not removed:
        return {}
    top = snapshot.location.top
    on_disk = snapshot.source in ("worktree", "folder")

    def read_disk(paths: list[str]) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        for p in paths:
            try:
                out[p] = read_regular(Beneath(snapshot.real_root, snapshot.files[p].target or p))
            except OSError:  # gone (or no longer a file) since the scan: it cannot pair
                continue
        return out

    if top is None:
        return similar_moves(removed, added, None, read_disk)
    with git.BlobReader(top) as reader:
        stored = git.existing_objects(top, [sha for _, sha in removed.values()])

        def read_old(shas: list[str]) -> dict[str, bytes]:
            # Only objects git has (a file never committed nor staged has none): a missing one would break the reader.
            return reader.read_many([sha for sha in shas if sha in stored])

        def read_new(paths: list[str]) -> dict[str, bytes]:
            if on_disk:
                return read_disk(paths)
            blobs = reader.read_many([snapshot.files[p].blob_sha for p in paths])
            return {p: blobs[snapshot.files[p].blob_sha] for p in paths}

        return similar_moves(removed, added, read_old, read_new)


def _inside(number: str, path: str) -> bool:
    """Whether a record is named by its file and a name inside it (a step definition: ``path::function``)."""
    return number.startswith(path + "::")


def _pairs_by_name(
    olds: list[Current], records: Iterable[SpecRecord], old_path: str, new_path: str
) -> list[tuple[Current, SpecRecord]]:
    """Records named ``file::name`` pair by name: ``old::f`` with ``new::f`` (a step file moved with a definition
    added, removed or renamed keeps the others); a name the new file lacks is not paired."""
    by_name = {rec.number[len(new_path) + 2:]: rec for rec in records if _inside(rec.number, new_path)}
    return [(cur, by_name[name]) for cur in olds if (name := cur.number[len(old_path) + 2:]) in by_name]


def named_after(number: str, path: str) -> bool:
    """Whether a record's number is its file's name (``features/auth/login.feature`` → ``auth/login``,
    ``contracts/payments.yaml`` → ``payments``, ``payments#2`` for a second document): an identity that comes from
    the file name, which is all a moved file can lose. Ids written in files (``@FEAT-3``, ``id:``, ADR numbers)
    never are. A step definition's ``path::function`` is named after its file too."""
    if _inside(number, path):
        return True
    base, _, position = number.rpartition("#")
    if not (base and position.isdigit()):
        base = number
    stem = posixpath.splitext(path)[0]
    if path.endswith(".feature.md"):  # Markdown with Gherkin: named after the file without both suffixes
        stem = stem.removesuffix(".feature")
    return stem == base or stem.endswith("/" + base)


def document_order(number: str) -> tuple[int, str]:
    """Documents of one file in file order: ``X`` before ``X#2`` before ``X#10``."""
    base, _, position = number.rpartition("#")
    return (int(position), base) if base and position.isdecimal() else (1, number)  # ("²" is no int)
