"""The cache of ``check --staged``: ``<git dir>/tracertm-check-cache``, the sketch of every spec file by its index
entry, and the index "identity → files" over all of them.

A pre-commit hook reads it on every commit, so it is laid out to load in a millisecond or two whatever the size of
the repository: a handful of long strings (``marshal``), each a column of ``NUL``-separated values, split in C
when loaded. Nothing is decoded per file until a rule needs that file:

- ``keys``: one per cached file, ``<blob id> <stage><TAB><path>`` — what ``git ls-files -s -z`` prints for it, minus
  the mode (so the index listing is compared with the cache as two sets of strings, not file by file). A symbolic
  link's key holds its target's blob and ``L`` for the stage, which no listing prints: links are always looked at;
- ``texts``: the sketch of each, aligned with ``keys`` (:meth:`CheckCache.encode`);
- the claims index as one column, a row ``kind TAB number TAB path`` per claimant (:class:`Claims`: searched
  as it is for the few identities a commit touches);
- ``steps``: the keys of step-definition files (whether the index holds any decides whether steps are checked);
- ``ignored``: the keys of index entries under the spec folders that are not spec files (the default step globs
  list the whole repository: its code is classified once, not on every commit).

The file is dropped whole when tracertm, the parser version, the parser options, the spec paths or the spec root
change (so a cached kind is still the path's kind); it is written atomically, only when it changed, behind a magic
number and a CRC-32, and anything unreadable or inconsistent is ignored (the check then sketches from the blobs).
``marshal`` is not meant for data from elsewhere: this file is written by tracertm into the repository's own git
directory, the place git runs hooks from, and is checked before it is decoded.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from tracertm.sketches import RecordSketch, Sketch

if TYPE_CHECKING:
    from tracertm.config import Settings
    from tracertm.engine.scan import Location

CACHE_NAME = "tracertm-check-cache"
LEGACY_NAMES = ("tracertm-check-cache.json",)  # earlier formats, removed when the cache is written
_MAGIC = b"TRCK"
# 7: a scenario's @ADR-n tag refs carry the tag's line (cached exact sketches of 6 had the Feature's); 8: an ADR
# mention with a slug (``ADR-0001-use-x``) is that id (sketches of 7 cut it to ADR-0001), and an ADR's own
# front matter ``id:`` line is no mention; 9: a reference carries its column too (an ``@ADR-n`` tag's); 10: lines end
# at LF, CRLF and CR only (a NEL or U+2028 in YAML moved 9's lines), ADR numbers are ASCII digits, a feature file's
# expanded steps are bounded (9's sketches of such a file hold none of that); 11: a file that fails to parse still
# declares the ADR ids its rough sketch recovers (10's held none: references to them were errors); 12: an ADR's every
# superseded (and successor) ADR is a supersedes (superseded_by) reference (11's named all but the first so).
_FORMAT = 12
_SEP = "\0"  # git paths cannot hold a NUL; sketch values that do are not cached (see ``encode``)
MAX_BYTES = 1 << 30  # a cache over 1 GiB is ignored unread (a million spec files take about 200 MB)


def _split(text: str) -> list[str]:
    return text.split(_SEP) if text else []


def file_key(blob: str, path: str, *, link: bool = False, stage: str = "0") -> str:
    """The key of a top-relative ``path`` holding ``blob`` (a link: its target's blob)."""
    return f"{blob} {'L' if link else stage}\t{path}"


class Claims:
    """Who claims which identity: ``"kind<TAB>number"`` → paths (root-relative); the ADR ids that files failing to
    parse declare, under the kind ``broken-adr`` (``Sketch.claim_kind``). Kept up to date instead of rebuilt;
    ``changed`` tells whether any key's claimants differ from what it started with.

    A cache's index is loaded as its rows column (``kind TAB number TAB path``, NUL-separated, as written) and looked
    up in it by substring search until enough lookups were made to pay for a dict: a commit asks about the few
    identities of its own files, while the dict of every identity of a large repository costs a hook about 2 ms to
    build. Changes before that go to an overlay of the keys touched. ``owners`` is the dict (built on first use)."""

    def __init__(self, owners: dict[str, list[str]] | None = None, rows: str = "") -> None:
        lazy = owners is None and bool(rows)
        self._owners: dict[str, list[str]] | None = None if lazy else (owners if owners is not None else {})
        self._rows = f"{_SEP}{rows}{_SEP}" if lazy else ""  # searched for "NUL kind TAB number TAB"
        self._read = rows  # the rows as loaded: written back as they are when no key's claimants changed
        self._overlay: dict[str, list[str]] = {}  # key → its claimants now, for the keys changed before the dict
        self._lookups = 0
        self._before: dict[str, tuple[str, ...]] = {}  # key → its claimants before the first change
        self._numbered: dict[str, dict[str, list[str]]] = {}  # ``numbered``'s indexes by kind, built on first use

    @property
    def owners(self) -> dict[str, list[str]]:
        """Every claimed key → its claimants (built from the rows and the overlay on first use)."""
        if self._owners is None:
            owners: dict[str, list[str]] = {}
            for row in _split(self._rows[1:-1]):
                kind, number, path = row.split("\t", 2)
                owners.setdefault(f"{kind}\t{number}", []).append(path)
            for key, paths in self._overlay.items():
                if paths:
                    owners[key] = paths
                else:
                    owners.pop(key, None)
            self._owners, self._rows, self._overlay = owners, "", {}
        return self._owners

    def get(self, key: str) -> list[str] | None:
        """The claimants of ``key`` (a list this index owns: not to be changed), None when nobody claims it."""
        if self._owners is not None:
            return self._owners.get(key)
        if key in self._overlay:
            return self._overlay[key] or None
        self._lookups += 1
        if self._lookups > 64:  # a big change: the dict pays for itself now
            return self.owners.get(key)
        rows, head = self._rows, f"{_SEP}{key}\t"
        at = rows.find(head)
        if at < 0:
            return None
        paths = []
        while at >= 0:
            start = at + len(head)
            end = rows.index(_SEP, start)
            paths.append(rows[start:end])
            at = rows.find(head, end)
        return paths

    def _set(self, key: str, paths: list[str]) -> None:
        """``key``'s claimants become ``paths`` (none: the key is dropped)."""
        if key not in self._before:
            before = self.get(key)
            self._before[key] = tuple(before) if before else ()
        if key.startswith(("adr\t", "broken-adr\t")):
            self._numbered = {}
        if self._owners is None:
            self._overlay[key] = paths
        elif paths:
            self._owners[key] = paths
        else:
            self._owners.pop(key, None)

    @property
    def changed(self) -> bool:
        return any(tuple(self.get(k) or ()) != v for k, v in self._before.items())

    def add(self, path: str, sketch: Sketch) -> None:
        for r in sketch.records:
            key = f"{sketch.claim_kind}\t{r.number}"
            paths = self.get(key)
            if paths is None or path not in paths:
                self._set(key, [*(paths or ()), path])

    def remove(self, path: str, sketch: Sketch) -> None:
        for r in sketch.records:
            key = f"{sketch.claim_kind}\t{r.number}"
            paths = self.get(key)
            if paths is not None and path in paths:
                rest = list(paths)
                rest.remove(path)
                self._set(key, rest)

    def is_adr(self, number: str) -> bool:
        """Whether some file claims ADR ``number``."""
        return bool(self.get(f"adr\t{number}"))

    def declares(self, number: str) -> bool:
        """Whether some file that fails to parse declares ADR ``number`` (``sketches.broken_sketch``)."""
        return bool(self.get(f"broken-adr\t{number}"))

    def numbered(self, number: str, kind: str = "adr") -> list[str]:
        """The ADR ids claimed that are ``number`` with a slug (``ADR-0008`` → ``ADR-0008-use-x``: what a plain
        reference may name, ``crossfile.resolve_adr``); ``kind="broken-adr"``: those files that fail to parse
        declare. Built from every claim on first use: only a reference that names no ADR exactly asks."""
        if kind not in self._numbered:
            from tracertm.crossfile import adr_base

            index: dict[str, list[str]] = {}
            head = f"{kind}\t"
            for key in self.owners:
                if key.startswith(head):
                    identifier = key[len(head):]
                    base = adr_base(identifier) if identifier[:3].casefold() == "adr" else None
                    if base is not None and base != identifier:
                        index.setdefault(base, []).append(identifier)
            self._numbered[kind] = index
        return self._numbered[kind].get(number, [])

    def rows(self) -> str:
        """The index as the cache stores it: ``kind TAB number TAB path`` per claimant, NUL-separated."""
        if self._read and not self.changed:
            return self._read
        return _SEP.join(f"{k}\t{p}" for k, paths in self.owners.items() for p in paths)


class CheckCache:
    """The cache file of one repository (see the module docstring); ``CheckCache.memory()`` is never written."""

    def __init__(self, path: Path | None, key: str, prefix: str = "") -> None:
        self.path = path
        self.key = key
        self.prefix = prefix  # the spec root inside the repository: keys hold top-relative paths
        self.keys: list[str] = []
        self.texts: list[str] = []
        self.steps: set[str] = set()
        self.ignored: set[str] = set()
        self.claims = Claims()
        self._key_set: set[str] | None = None
        self._position: dict[str, int] | None = None
        self._lookups = 0
        self.dirty = False

    @classmethod
    def memory(cls, prefix: str = "") -> CheckCache:
        """A cache that starts empty and is never written."""
        return cls(None, "", prefix)

    @classmethod
    def load(cls, path: Path, key: str, prefix: str = "") -> CheckCache:
        """The cache at ``path`` if it is intact and was made with ``key``, else an empty one that will go there.
        ``prefix``: the spec root inside the repository (part of ``key``)."""
        import marshal
        import zlib

        cache = cls(path, key, prefix)
        try:
            with path.open("rb") as fh:
                if os.fstat(fh.fileno()).st_size > MAX_BYTES:
                    return cache  # not one this code wrote for any repository git can hold: not read at all
                data = fh.read()
        except OSError:
            return cache
        body = memoryview(data)[8:]
        if len(data) < 8 or data[:4] != _MAGIC or int.from_bytes(data[4:8], "little") != zlib.crc32(body):
            return cache
        try:
            payload = marshal.loads(body)
        except (ValueError, EOFError, TypeError):
            return cache
        if not (
            isinstance(payload, tuple) and len(payload) == 7 and payload[0] == _FORMAT and payload[1] == key
            and all(isinstance(x, str) for x in payload[2:])
        ):
            return cache
        keys, texts, rows = _split(payload[2]), _split(payload[3]), payload[4]
        if len(keys) != len(texts) or (rows and rows.count("\t") < 2 * (rows.count(_SEP) + 1)):
            return cache  # (every claim row holds two tabs at least: kind TAB number TAB path)
        cache.keys, cache.texts = keys, texts
        cache.steps, cache.ignored = set(_split(payload[5])), set(_split(payload[6]))
        cache.claims = Claims(rows=rows)
        return cache

    # ------------------------------------------------------------------------------------------------ lookups

    @property
    def key_set(self) -> set[str]:
        if self._key_set is None:
            self._key_set = set(self.keys)
        return self._key_set

    def text(self, key: str) -> str | None:
        """The encoded sketch of ``key``, None when the cache does not hold it."""
        if key not in self.key_set:
            return None
        if self._position is None:
            self._lookups += 1
            if self._lookups <= 8:  # a hook looks up a few keys: a scan in C beats building the index of all
                return self.texts[self.keys.index(key)]
            self._position = dict(zip(self.keys, range(len(self.keys))))
        return self.texts[self._position[key]]

    def kind(self, key: str) -> str | None:
        """The kind recorded for ``key``, None when the cache does not hold it. The cache is dropped when the spec
        paths change, so a recorded kind is the path's kind."""
        text = self.text(key)
        return text.split("\t", 2)[1] if text is not None else None

    def path_of(self, key: str) -> str:
        """The root-relative path of ``key``."""
        return key.partition("\t")[2][len(self.prefix) :]

    # --------------------------------------------------------------------------------------- encode / decode

    @staticmethod
    def decode(text: str) -> Sketch:
        """The sketch of one entry (an empty one if the entry is damaged)."""
        head, *records = text.split("\n")
        fields = head.split("\t")
        new = tuple.__new__  # not the NamedTuple constructors: cheaper, and this may run for many files
        try:
            sketch = []
            for line in records:
                number, at, *refs = line.split("\t")
                pairs = tuple(zip(refs[0::4], refs[1::4])) if refs else ()
                lines = tuple(int(n) for n in refs[2::4])
                columns = tuple(int(n) for n in refs[3::4])
                sketch.append(new(RecordSketch, (number, int(at), pairs, lines, columns)))
            return new(Sketch, (fields[1], tuple(sketch), fields[2] == "1", fields[3:] == ["1"]))
        except (ValueError, IndexError):
            return Sketch(fields[1] if len(fields) > 1 else "adr", (), False)  # type: ignore[arg-type]

    @staticmethod
    def encode(blob: str, sketch: Sketch) -> str | None:
        """One entry as one string: ``blob TAB kind TAB exact`` (``TAB 1`` after it: broken) then per record
        ``LF number TAB line (TAB field TAB target TAB line TAB column)*``; None for a sketch with a tab, a newline
        or a NUL in a value (not cached: sketched again next time)."""
        parts = [f"{blob}\t{sketch.kind}\t{int(sketch.exact)}" + ("\t1" if sketch.broken else "")]
        for r in sketch.records:
            values = (r.number, *(x for ref in r.refs for x in ref))
            if any("\t" in v or "\n" in v or _SEP in v for v in values):
                return None
            refs = (x for i, (what, target) in enumerate(r.refs)
                    for x in (what, target, str(r.ref_line(i)), str(r.ref_column(i))))
            parts.append("\t".join((r.number, str(r.line), *refs)))
        return "\n".join(parts)

    # ------------------------------------------------------------------------------------------------ writes

    def replace(self, sketches: Mapping[str, tuple[str, Sketch]], claims: Claims) -> None:
        """The cache becomes exactly these files (an everything-check)."""
        self.update((), sketches, claims)

    def update(
        self,
        keep: Iterable[str],
        sketches: Mapping[str, tuple[str, Sketch]],
        claims: Claims,
        ignored: set[str] | None = None,
    ) -> None:
        """Keep the entries of the keys ``keep``, store ``sketches`` (root-relative path → (key, sketch)), drop
        every other entry; ``claims`` must be the index over exactly these. ``ignored``, when given, replaces the
        keys of the entries known not to be spec files."""
        kept = keep if isinstance(keep, (set, frozenset)) else set(keep)
        dropped = self.key_set - kept
        if len(dropped) <= 64:  # a commit's few files: take them out by position, the rest is copied in C
            keys, texts = list(self.keys), list(self.texts)
            for i in sorted((self.keys.index(k) for k in dropped), reverse=True):
                del keys[i], texts[i]
            entries = dict(zip(keys, texts))
        else:
            entries = {k: t for k, t in zip(self.keys, self.texts) if k in kept}
        steps = {k for k in self.steps if k in kept}
        same = len(entries) + len(sketches) == len(self.keys)
        for p, (key, sketch) in sketches.items():
            text = self.encode(key.split(" ", 1)[0], sketch) if key else None
            if text is None:
                claims.remove(p, sketch)  # the index must not hold what the entries do not
                same = False
                continue
            same = same and key not in entries and self.text(key) == text
            entries[key] = text
            if sketch.kind == "step_definition":
                steps.add(key)
        if ignored is not None and ignored != self.ignored:
            self.ignored = ignored
            same = False
        if same and claims is self.claims and not claims.changed:
            return  # the very entries it holds (each key of the cache kept or stored again as it was), same claims
        self.keys = list(entries)
        self.texts = list(entries.values())
        self.steps = steps
        self._key_set = self._position = None
        self._lookups = 0
        self.claims = claims
        self.dirty = True

    def save(self) -> None:
        """Write the cache if it changed: atomically, and silently not at all when the git directory is not
        writable (a check never fails because of its cache)."""
        if not self.dirty or self.path is None:
            return
        import marshal
        import zlib

        payload = marshal.dumps(
            (
                _FORMAT, self.key, _SEP.join(self.keys), _SEP.join(self.texts), self.claims.rows(),
                _SEP.join(sorted(self.steps)), _SEP.join(sorted(self.ignored)),
            )
        )
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        try:
            with tmp.open("wb") as fh:  # (two writes: the header and the payload, not a copy of both)
                fh.write(_MAGIC + zlib.crc32(payload).to_bytes(4, "little"))
                fh.write(payload)
            os.replace(tmp, self.path)
            for legacy in LEGACY_NAMES:
                self.path.with_name(legacy).unlink(missing_ok=True)
        except OSError:
            try:
                tmp.unlink()
            except OSError:
                pass
        self.dirty = False


def locate_cache(location: Location, settings: Settings) -> CheckCache:
    """The check cache of the repository (its git directory), keyed by everything a sketch depends on."""
    from tracertm import git
    from tracertm._version import __version__
    from tracertm.parsers.common import PARSER_OUTPUT, PARSER_VERSION

    assert location.top is not None
    name = CACHE_NAME
    if location.prefix:
        # A project whose spec root is a sub-folder has a cache of its own: with one file per repository, the
        # hooks of two such projects each found the other's (another key), dropped it and wrote theirs, on every
        # commit.
        import hashlib

        name += "-" + hashlib.sha1(location.prefix.encode(), usedforsecurity=False).hexdigest()[:12]
    dot_git = location.top / ".git"
    if dot_git.is_dir():
        path = dot_git / name
    else:  # a linked work tree or a submodule: .git is a file pointing elsewhere
        path = Path(os.fsdecode(git.run(location.top, "rev-parse", "--git-path", name).strip()))
        path = path if path.is_absolute() else location.top / path
    key = repr(
        (
            __version__,
            PARSER_VERSION,
            PARSER_OUTPUT,  # (parsers that make other records of the same bytes make other sketches of them)
            location.prefix,
            settings.parser,
            sorted(settings.paths.items()),
            settings.exclude,
            sorted(settings.configured),
        )
    )
    return CheckCache.load(path, key, location.prefix)
