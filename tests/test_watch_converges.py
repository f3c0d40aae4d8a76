"""``tracertm watch`` converges: after any sequence of file-system and git operations on spec files, once the
daemon is quiet, its database holds what a first sync of the same work tree into an empty database holds.

One daemon watches one real git repository for the whole test (SQLite, and PostgreSQL when configured). Each example
puts the work tree back to the same start (``reset --hard``, ``clean``), waits for the daemon to agree with a fresh
sync, applies a generated sequence of operations — create, edit (with and without a new id), break, fix, rename and
move across folders (``docs/adr`` ↔ ``docs/decisions`` ↔ ``doc/adr``, sub-folders), delete, an editor's atomic save,
create-then-delete, ``mkdir`` and removal or rename of spec folders, commit, branch switch, ``stash -u`` / ``pop``,
spec files that are symbolic links to a contract outside the spec globs and edits of that target — and waits, by
polling the database, until the daemon is idle and agrees again (or fails after a generous deadline, naming what
differs). The daemon's own database carries its history from example to example, as a long-running one does.

Compared (``snapshot``): the live records per kind (number, content hash, source path; a scenario by its feature's
number), the live file index (path, kind, blob id, stored findings) and the links (source, line, type, target, and
which record the target resolves to). Every record's versions 1..N have exactly one revision each that set it
(and any number of pure ``moved`` revisions, which keep the version).

By design (README "How sync decides"): a file that fails to parse keeps the records it had, which a fresh sync
does not have; and while a new file of a kind does not parse, the files of that kind that went away keep their
records and rows (``held``). Those records, the links from those files and the resolution of links to them are
left out on both sides. The generated trees never have two files claiming one identity (a fresh sync may pick
another claimant than the one the daemon's database knows, by design): a new id is one no file of the tree holds
or, for a broken file or a dangling link, held since the example began (what its kept records may still be).

The sequences are the same on every run (two scripted ones in which every operation takes effect, then generated
ones, ``derandomize``); a failure prints each operation as applied (``note``). ``TRACERTM_CONVERGE_EXAMPLES=200``
runs longer (not in the suite).
"""

from __future__ import annotations

import copy
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import example as hypothesis_example
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.engine import Engine

from conftest import GitRepo
from test_watch import Db, dbx, start  # noqa: F401 - the fixture dbx is used by name
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import Base
from tracertm.watcher import Watcher

EXAMPLES = int(os.environ.get("TRACERTM_CONVERGE_EXAMPLES", "4"))  # generated, besides the scripted ones
CONVERGE_S = 60.0  # an upper bound only: the wait polls and returns as soon as the daemon agrees
IDS = range(1, 13)

ADR_FOLDERS = ("docs/adr", "docs/adr/old", "docs/decisions", "doc/adr")
CONTRACT_FOLDERS = ("contracts", "contracts/v2", "contracts/legacy")
FEATURE_FOLDERS = ("features", "features/cart", "features/old")
FOLDERS = {"adr": ADR_FOLDERS, "contract": CONTRACT_FOLDERS, "feature": FEATURE_FOLDERS}
SUFFIX = {"adr": ".md", "contract": ".yaml", "feature": ".feature"}
SLUGS = ("alpha", "beta", "gamma", "delta", "omega")
TARGETS = "contracts/shared"  # what spec links point at: ``*.yaml.in`` files, outside every spec glob


# ---------------------------------------------------------------------------------------------- the work tree


@dataclass
class Spec:
    """One file of the model of the work tree. ``kind``: adr, contract, feature, or ``target`` (a contract that a
    spec link points at). ``claims``: every id the file had since the example began (a broken file keeps the records
    of any of them that a sync saw)."""

    kind: str
    number: int
    rev: int = 0
    broken: bool = False
    front_id: bool = False  # an ADR numbered by its front matter (else by its file name)
    refs: tuple[int, ...] = ()
    claims: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        self.claims = self.claims | {self.number}


@dataclass
class Link:
    """A spec file that is a symbolic link (``text``: what it points at, relative to its folder)."""

    text: str
    claims: frozenset[int] = frozenset()


@dataclass
class Tree:
    files: dict[str, Spec] = field(default_factory=dict)
    links: dict[str, Link] = field(default_factory=dict)

    def target_of(self, link: str) -> str:
        return os.path.normpath(os.path.join(os.path.dirname(link), self.links[link].text))

    def used(self, kind: str) -> set[int]:
        """Ids a new file of ``kind`` must not take: those of the files (every id a broken one had), and of links."""
        out: set[int] = set()
        for spec in self.files.values():
            if spec.kind == kind:
                out |= spec.claims if spec.broken else {spec.number}
        if kind == "contract":
            for path, link in self.links.items():
                out |= link.claims
                target = self.files.get(self.target_of(path))
                if target is not None:
                    out |= target.claims
        return out

    def remove(self, path: str) -> None:
        """Forget a file; links to it dangle (an error: they keep the records of every id it had)."""
        claims = self.files.pop(path).claims
        for link_path, link in self.links.items():
            if self.target_of(link_path) == path:
                link.claims |= claims

    def specs(self, *kinds: str) -> list[str]:
        return sorted(p for p, s in self.files.items() if s.kind in kinds)


def ref(number: int) -> str:
    return f"ADR-{number:04d}"


def render(spec: Spec) -> str:
    n, rev = spec.number, spec.rev
    mentions = " ".join(ref(r) for r in spec.refs)
    if spec.kind == "adr":
        if spec.broken:
            return f"---\nid: [{ref(n)}\n---\n# {n}. Broken {rev}\n"
        front = f"---\nid: {ref(n)}\n---\n" if spec.front_id else ""
        return (f"{front}# {n}. Decision {n} r{rev}\n\n## Status\n\nAccepted\n\n## Context\n\n"
                f"Context {rev}. {('See ' + mentions + '.') if mentions else ''}\n\n## Decision\n\nWe will.\n")
    if spec.kind in ("contract", "target"):
        if spec.broken:
            return f"id: CTR-{n:04d}\ntitle: [unclosed {rev}\n"
        states = ("pending", "paid", "refunded", "closed")[: 2 + rev % 3]
        transitions = "".join(f"  - {{from: {a}, to: {b}, trigger: go_{b}}}\n" for a, b in zip(states, states[1:]))
        tags = f"tags: [{', '.join(ref(r) for r in spec.refs)}]\n" if spec.refs else ""
        return (f"id: CTR-{n:04d}\ntitle: Contract {n} r{rev}\ntype: service\nstatus: approved\n{tags}"
                f"states: [{', '.join(states)}]\ntransitions:\n{transitions}")
    if spec.broken:
        return f"this is not gherkin {rev}\n@FEAT-{n}\nFeature: broken\n"
    tags = "".join(f" @{ref(r)}" for r in spec.refs)
    scenarios = "".join(
        f"\n  @SC-{i}\n  Scenario: step {i}\n    Given thing {i}\n    When I act{' again' * (i == rev % 3)}\n"
        f"    Then it works {rev if i == 1 else 0}\n"
        for i in range(1, 2 + rev % 3)
    )
    return f"@FEAT-{n}{tags}\nFeature: Feature {n}\n  As a user\n  I want {n}\n  So that life is good\n{scenarios}"


def spec_name(kind: str, number: int, slug: str) -> str:
    return f"{number:04d}-{slug}.md" if kind == "adr" else f"{slug}-{number}{SUFFIX[kind]}"


BASE = Tree({
    "docs/adr/0001-alpha.md": Spec("adr", 1, refs=(2,)),
    "docs/adr/0002-beta.md": Spec("adr", 2),
    "docs/decisions/0003-gamma.md": Spec("adr", 3, refs=(1, 9)),
    "contracts/alpha-1.yaml": Spec("contract", 1, refs=(1,)),
    "contracts/v2/beta-2.yaml": Spec("contract", 2),
    f"{TARGETS}/gamma-3.yaml.in": Spec("target", 3),
    "features/alpha-1.feature": Spec("feature", 1, refs=(1, 3)),
    "features/cart/beta-2.feature": Spec("feature", 2),
}, {"contracts/gamma-3.yaml": Link("shared/gamma-3.yaml.in")})

# The other branch, as it starts each example: the base with some files changed, moved, added and removed.
SIDE = Tree({
    **{p: s for p, s in BASE.files.items() if p not in ("docs/adr/0002-beta.md", "features/cart/beta-2.feature")},
    "doc/adr/0002-beta.md": Spec("adr", 2, rev=5),
    "docs/adr/0004-delta.md": Spec("adr", 4, refs=(2,)),
    "contracts/alpha-1.yaml": Spec("contract", 1, rev=1),
    "features/old/omega-5.feature": Spec("feature", 5, refs=(4,)),
}, dict(BASE.links))


def write_tree(root: Path, tree: Tree) -> None:
    for path, spec in tree.files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(spec), encoding="utf-8")
    for path, link in tree.links.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(link.text, root / path)


# ------------------------------------------------------------------------------------------------ operations

OPS = (
    "create", "create", "edit", "edit", "break", "rename", "rename", "delete", "atomic", "flash", "mkdir", "rmtree",
    "move_folder", "commit", "switch", "stash", "symlink", "edit_target", "delete_target",
)
OP = st.tuples(st.sampled_from(OPS), st.integers(0, 255), st.integers(0, 255), st.booleans())
SEQUENCES = st.lists(OP, min_size=1, max_size=14)
# Scripted sequences (run first, on every run): between them every operation of ``OPS`` takes effect at least once,
# whatever the generated examples happen to draw.
SCRIPTED = (
    [("create", 1, 2, False), ("edit", 0, 3, True), ("break", 1, 0, False), ("rename", 2, 5, False),
     ("delete", 0, 0, False), ("atomic", 1, 1, False), ("move_folder", 0, 0, False), ("symlink", 1, 2, True)],
    [("mkdir", 0, 0, False), ("flash", 0, 0, True), ("edit_target", 0, 1, True), ("commit", 0, 0, False),
     ("edit", 1, 2, False), ("stash", 0, 0, False), ("switch", 0, 0, False), ("delete_target", 0, 0, False),
     ("rmtree", 0, 0, False)],
)


class Player:
    """Applies operations to the real work tree and to its model."""

    def __init__(self, repo: GitRepo, base: str, side: str) -> None:
        self.repo = repo
        self.root = repo.path
        self.base, self.side = base, side
        self.tree = Tree()
        self.branch = "main"
        self.other = Tree()

    # -------------------------------------------------------------------------------------- helpers

    def git(self, *args: str) -> str:
        return self.repo.git(*args)

    def write(self, path: str, spec: Spec) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(spec), encoding="utf-8")

    def fresh(self, kind: str, pick: int) -> int:
        free = [n for n in IDS if n not in self.tree.used(kind)]
        return free[pick % len(free)] if free else 0

    def free_path(self, kind: str, number: int, folder_pick: int, slug_pick: int) -> str | None:
        folders = FOLDERS[kind]
        for i in range(len(folders) * len(SLUGS)):
            folder = folders[(folder_pick + i) % len(folders)]
            slug = SLUGS[(slug_pick + i) % len(SLUGS)]
            path = f"{folder}/{spec_name(kind, number, slug)}"
            if not os.path.lexists(self.root / path):
                return path
        return None

    def folders(self) -> list[str]:
        """Existing folders of the candidate spec folders, and the top-level spec folders."""
        found = {f for fs in FOLDERS.values() for f in fs} | {"docs", "doc", TARGETS}
        return sorted(f for f in found if (self.root / f).is_dir())

    def commit(self, message: str) -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)

    # ------------------------------------------------------------------------------------- the reset

    def reset(self) -> None:
        """Back to the start: branch main at the base commit, nothing else in the work tree, no stash."""
        self.git("checkout", "-q", "-f", "main")
        self.git("reset", "-q", "--hard", self.base)
        self.git("clean", "-q", "-f", "-d")
        self.git("stash", "clear")
        self.git("branch", "-f", "side", self.side)
        self.tree, self.other, self.branch = copy.deepcopy(BASE), copy.deepcopy(SIDE), "main"

    # ----------------------------------------------------------------------------------------- apply

    def apply(self, op: str, a: int, b: int, flag: bool) -> str:
        method = getattr(self, f"op_{op}")
        return str(method(a, b, flag))

    def op_create(self, a: int, b: int, flag: bool) -> str:
        kind = ("adr", "contract", "feature")[a % 3]
        number = self.fresh(kind, b)
        path = self.free_path(kind, number, a // 3, b) if number else None
        if path is None:
            return f"create {kind}: no free id or path"
        refs = tuple(sorted({1 + (a + b) % 12, 1 + b % 5})) if a % 2 else ()
        spec = Spec(kind, number, rev=b % 7, broken=flag and b % 3 == 0, refs=refs)
        self.write(path, spec)
        self.tree.files[path] = spec
        return f"create {path} {spec}"

    def op_edit(self, a: int, b: int, flag: bool) -> str:
        paths = self.tree.specs("adr", "contract", "feature")
        if not paths:
            return "edit: nothing to edit"
        path = paths[a % len(paths)]
        old = self.tree.files[path]
        spec = replace(old, rev=old.rev + 1, broken=False, refs=(1 + b % 12,) if b % 2 else ())
        if flag:
            number = self.fresh(spec.kind, b)
            if number:
                spec = replace(spec, number=number, front_id=spec.kind == "adr")
        self.write(path, spec)
        self.tree.files[path] = spec
        return f"edit {path} {spec}"

    def op_break(self, a: int, b: int, flag: bool) -> str:
        paths = [p for p in self.tree.specs("adr", "contract", "feature") if not self.tree.files[p].broken]
        if not paths:
            return "break: nothing to break"
        path = paths[a % len(paths)]
        spec = self.tree.files[path] = replace(self.tree.files[path], broken=True, rev=self.tree.files[path].rev + 1)
        self.write(path, spec)
        return f"break {path}"

    def op_rename(self, a: int, b: int, flag: bool) -> str:
        paths = self.tree.specs("adr", "contract", "feature")
        if not paths:
            return "rename: nothing to rename"
        path = paths[a % len(paths)]
        spec = self.tree.files[path]
        # An ADR keeps the number its name starts with (its id, unless its front matter has one).
        number = int(path.rsplit("/", 1)[1][:4]) if spec.kind == "adr" else spec.number
        new = self.free_path(spec.kind, number, b, b // 4 + 1)
        if new is None or new == path:
            return f"rename {path}: no free path"
        (self.root / new).parent.mkdir(parents=True, exist_ok=True)
        os.rename(self.root / path, self.root / new)
        self.tree.files[new] = self.tree.files.pop(path)
        return f"rename {path} -> {new}"

    def op_delete(self, a: int, b: int, flag: bool) -> str:
        paths = sorted([*self.tree.specs("adr", "contract", "feature"), *self.tree.links])
        if not paths:
            return "delete: nothing to delete"
        path = paths[a % len(paths)]
        os.unlink(self.root / path)
        if path in self.tree.files:
            self.tree.remove(path)
        self.tree.links.pop(path, None)
        return f"delete {path}"

    def op_atomic(self, a: int, b: int, flag: bool) -> str:
        """An editor's save: a temporary file beside the file, renamed over it."""
        paths = self.tree.specs("adr", "contract", "feature", "target")
        if not paths:
            return "atomic: nothing to save"
        path = paths[a % len(paths)]
        old = self.tree.files[path]
        spec = replace(old, rev=old.rev + 1, broken=old.broken and flag)
        tmp = self.root / f"{path}.tmp{b}" if b % 2 else (self.root / path).with_name(f".{Path(path).name}.swp")
        tmp.write_text(render(spec), encoding="utf-8")
        os.replace(tmp, self.root / path)
        self.tree.files[path] = spec
        return f"atomic save {path} via {tmp.name} {spec}"

    def op_flash(self, a: int, b: int, flag: bool) -> str:
        """A file created and deleted at once (a tool's scratch file, a quick undo)."""
        kind = ("adr", "contract", "feature")[a % 3]
        number = self.fresh(kind, b)
        path = self.free_path(kind, number, a, b) if number else None
        if path is None:
            return f"flash {kind}: no free id or path"
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(Spec(kind, number)), encoding="utf-8")
        if flag:
            os.rename(target, target.with_name(target.name + ".bak"))  # moved out of the globs
            os.unlink(target.with_name(target.name + ".bak"))
        else:
            target.unlink()
        return f"flash {path}"

    def op_mkdir(self, a: int, b: int, flag: bool) -> str:
        candidates = [f for fs in FOLDERS.values() for f in fs if not (self.root / f).exists()]
        if not candidates:
            return "mkdir: every folder exists"
        folder = candidates[a % len(candidates)]
        (self.root / folder).mkdir(parents=True)
        return f"mkdir {folder}"

    def op_rmtree(self, a: int, b: int, flag: bool) -> str:
        folders = self.folders()
        if not folders:
            return "rmtree: no folder"
        folder = folders[a % len(folders)]
        shutil.rmtree(self.root / folder)
        for path in [p for p in self.tree.links if p.startswith(folder + "/")]:
            del self.tree.links[path]
        for path in [p for p in self.tree.files if p.startswith(folder + "/")]:
            self.tree.remove(path)
        return f"rmtree {folder}"

    def op_move_folder(self, a: int, b: int, flag: bool) -> str:
        kind = ("adr", "contract", "feature")[a % 3]
        sources = [f for f in FOLDERS[kind] if (self.root / f).is_dir()]
        if not sources:
            return f"move folder ({kind}): none exists"
        src = sources[a // 3 % len(sources)]
        dests = [f for f in FOLDERS[kind] if not os.path.lexists(self.root / f)
                 and not f.startswith(src + "/") and not src.startswith(f + "/")]
        if not dests:
            return f"move folder {src}: nowhere to go"
        dest = dests[b % len(dests)]
        (self.root / dest).parent.mkdir(parents=True, exist_ok=True)
        os.rename(self.root / src, self.root / dest)
        for path in [p for p in self.tree.files if p.startswith(src + "/")]:
            self.tree.files[dest + path[len(src):]] = self.tree.files.pop(path)
        for path in [p for p in self.tree.links if p.startswith(src + "/")]:
            self.tree.links[dest + path[len(src):]] = self.tree.links.pop(path)
        return f"move folder {src} -> {dest}"

    def op_commit(self, a: int, b: int, flag: bool) -> str:
        self.commit(f"commit {a}")
        return "commit"

    def op_switch(self, a: int, b: int, flag: bool) -> str:
        """Commit everything, then check the other branch out."""
        self.commit(f"before switching {a}")
        other = "side" if self.branch == "main" else "main"
        self.git("checkout", "-q", other)
        self.tree, self.other, self.branch = self.other, self.tree, other
        return f"switch to {other}"

    def op_stash(self, a: int, b: int, flag: bool) -> str:
        """``git stash push -u`` (the work tree back to HEAD) and ``pop`` (back again)."""
        before = len(self.git("stash", "list").splitlines())
        self.git("stash", "push", "-q", "-u")
        if len(self.git("stash", "list").splitlines()) == before:
            return "stash: nothing to stash"
        self.git("stash", "pop", "-q")
        return "stash push -u; stash pop"

    def op_symlink(self, a: int, b: int, flag: bool) -> str:
        """A contract that is a symbolic link to a file outside the spec globs."""
        number = self.fresh("contract", b)
        slug = SLUGS[a % len(SLUGS)]
        link, target = f"contracts/{slug}-{number}.yaml", f"{TARGETS}/{slug}-{number}.yaml.in"
        if not number or os.path.lexists(self.root / link) or os.path.lexists(self.root / target):
            return "symlink: no free id or path"
        spec = Spec("target", number, rev=b % 5, refs=(1 + a % 12,) if flag else ())
        self.write(target, spec)
        os.symlink(f"shared/{slug}-{number}.yaml.in", self.root / link)
        self.tree.files[target] = spec
        self.tree.links[link] = Link(f"shared/{slug}-{number}.yaml.in")
        return f"symlink {link} -> {target} {spec}"

    def _linked_targets(self) -> list[str]:
        return sorted({self.tree.target_of(p) for p in self.tree.links} & set(self.tree.files))

    def op_edit_target(self, a: int, b: int, flag: bool) -> str:
        targets = self._linked_targets()
        if not targets:
            return "edit target: no link"
        path = targets[a % len(targets)]
        old = self.tree.files[path]
        spec = replace(old, rev=old.rev + 1)
        if flag:
            number = self.fresh("contract", b)
            if number:
                spec = replace(spec, number=number)
        self.write(path, spec)
        self.tree.files[path] = spec
        return f"edit target {path} {spec}"

    def op_delete_target(self, a: int, b: int, flag: bool) -> str:
        """The target of a link goes: the link dangles (an error; its records are kept)."""
        targets = self._linked_targets()
        if not targets:
            return "delete target: no link"
        path = targets[a % len(targets)]
        self.tree.remove(path)
        os.unlink(self.root / path)
        return f"delete target {path}"


# ------------------------------------------------------------------------------------------- the comparison


def _findings(value: Any) -> tuple[tuple[Any, ...], ...]:
    return tuple(sorted((d.get("line"), d.get("column"), d.get("severity", "error"), d.get("message"))
                        for d in value or ()))


def snapshot(engine: Engine) -> dict[str, Any]:
    """What must agree, read from one database (of one project)."""
    t = Base.metadata.tables
    with engine.connect() as conn:
        files = {
            r.path: (r.kind, r.blob_sha, _findings(r.parse_error))
            for r in conn.execute(select(t["source_files"]).where(t["source_files"].c.deleted_at.is_(None)))
        }
        rows: dict[Any, tuple[str, str, bool]] = {}  # id → (kind, number, live)
        live: dict[tuple[str, str], tuple[str | None, str | None]] = {}
        features = {r.id: r.feature_number for r in conn.execute(select(t["features"]))}
        for kind, table, column in (("adr", "adrs", "adr_number"), ("contract", "contracts", "contract_number"),
                                    ("feature", "features", "feature_number"),
                                    ("scenario", "scenarios", "scenario_number")):
            for r in conn.execute(select(t[table])):
                number = r._mapping[column]
                if kind == "scenario":
                    number = f"{features.get(r.feature_id)}/{number}"
                rows[r.id] = (kind, number, r.deleted_at is None)
                if r.deleted_at is None:
                    live[(kind, number)] = (r.content_hash, r.source_path)
        links = sorted(
            (r.source_kind, r.source_ref, r.source_path, r.source_line, r.link_type, r.target_kind, r.target_ref,
             rows.get(r.target_id) if r.target_id is not None else None)
            for r in conn.execute(select(t["links"]))
        )
    return {"files": files, "records": live, "links": links}


def errored(snap: dict[str, Any]) -> set[str]:
    return {p for p, (_, _, found) in snap["files"].items() if any(f[2] == "error" for f in found)}


def kept(snap: dict[str, Any], broken: set[str]) -> set[tuple[str, str]]:
    return {key for key, (_, path) in snap["records"].items() if path in broken}


def comparable(snap: dict[str, Any], broken: set[str], keep: set[tuple[str, str]]) -> dict[str, Any]:
    """``snap`` without what files in error keep by design (``keep``): those records, the links from those files,
    and where links to those records go."""
    records = {key: value for key, value in snap["records"].items() if key not in keep}
    links = [
        (*link[:7], "kept" if (link[5], link[6]) in keep else link[7])
        for link in snap["links"] if link[2] not in broken
    ]
    return {"files": snap["files"], "records": records, "links": links}


def held(got: dict[str, Any], want: dict[str, Any]) -> tuple[set[str], set[str]]:
    """By design (README "How sync decides", Broken files lose nothing): while a new file of a kind does not parse,
    the files of that kind that went away keep their records and rows (it may be one of them renamed), and the new
    broken file gets no row. Returns (the daemon's rows of files gone that may be so held, the fresh sync's rows of
    broken files the daemon may so lack)."""
    broken_kinds = {want["files"][p][0] for p in errored(want)}
    gone = {p for p, row in got["files"].items() if p not in want["files"] and row[0] in broken_kinds}
    held_kinds = {got["files"][p][0] for p in gone}
    unborn = {p for p in errored(want) - set(got["files"]) if want["files"][p][0] in held_kinds}
    return gone, unborn


def differences(got: dict[str, Any], want: dict[str, Any]) -> list[str]:
    gone, unborn = held(got, want)
    got = {**got, "files": {p: row for p, row in got["files"].items() if p not in gone}}
    want = {**want, "files": {p: row for p, row in want["files"].items() if p not in unborn}}
    broken = errored(got) | errored(want) | gone
    keep = kept(got, broken) | kept(want, broken)
    got, want = comparable(got, broken, keep), comparable(want, broken, keep)
    out: list[str] = []
    for part in ("files", "records"):
        for key in sorted(set(got[part]) | set(want[part]), key=repr):
            if got[part].get(key) != want[part].get(key):
                out.append(f"{part} {key}: daemon {got[part].get(key)} / fresh sync {want[part].get(key)}")
    extra = sorted(set(got["links"]) - set(want["links"]), key=repr)
    missing = sorted(set(want["links"]) - set(got["links"]), key=repr)
    out += [f"link only in the daemon's database: {link}" for link in extra]
    out += [f"link only in the fresh sync: {link}" for link in missing]
    return out


def revision_gaps(engine: Engine) -> list[str]:
    """Records whose versions 1..N do not each have exactly one revision that set it (README "What version
    counts": a pure ``moved`` revision keeps the version it was at, so it comes beside that one)."""
    t = Base.metadata.tables
    out: list[str] = []
    with engine.connect() as conn:
        seen: dict[Any, list[tuple[int, str]]] = {}
        revisions = t["spec_revisions"]
        for r in conn.execute(select(revisions.c.entity_id, revisions.c.version, revisions.c.change)):
            seen.setdefault(r.entity_id, []).append((r.version, r.change))
        for table, column in (("adrs", "adr_number"), ("contracts", "contract_number"),
                              ("features", "feature_number"), ("scenarios", "scenario_number")):
            for r in conn.execute(select(t[table])):
                versions = sorted(seen.get(r.id, []))
                setting = sorted({v for v, _ in versions})  # a pure move adds a revision at the version it keeps
                writes = [v for v, change in versions if change != "moved"]
                if setting != list(range(1, r.version + 1)) or len(writes) != len(set(writes)):
                    out.append(f"{table} {r._mapping[column]}: version {r.version}, revisions {versions}")
    return out


class Reference:
    """A fresh sync of the work tree into a new, empty SQLite database."""

    def __init__(self, folder: Path, template: Path) -> None:
        self.folder, self.template, self.count = folder, template, 0

    def snapshot(self, root: Path) -> dict[str, Any]:
        self.count += 1
        path = self.folder / f"fresh-{self.count}.db"
        shutil.copy(self.template, path)
        engine = db.make_engine(f"sqlite:///{path}")
        try:
            sync(root, engine=engine)
            return snapshot(engine)
        finally:
            engine.dispose()
            for leftover in self.folder.glob(f"fresh-{self.count}.db*"):
                leftover.unlink(missing_ok=True)  # (a WAL file goes by itself when the last connection closes)


def converge(watcher: Watcher, daemon: Engine, want: dict[str, Any], what: str, before: list[str]) -> None:
    """Poll until the daemon is idle and its database agrees with ``want``; fail naming what differs."""
    deadline = time.monotonic() + CONVERGE_S
    while True:
        if watcher.wait_idle(0):
            diff = differences(snapshot(daemon), want)
            if not diff and watcher.wait_idle(0):
                break
        if time.monotonic() > deadline:
            diff = differences(snapshot(daemon), want)
            raise AssertionError(
                f"{what}: after {CONVERGE_S:g} s the daemon's database (idle: {watcher.wait_idle(0)}) still differs "
                "from a fresh sync of the work tree:\n  " + "\n  ".join(diff[:40])
                + ("\n  the operations of the example before:\n    " + "\n    ".join(before) if before else "")
            )
        time.sleep(0.05)
    gaps = revision_gaps(daemon)
    assert not gaps, f"{what}: versions without exactly one revision each:\n  " + "\n  ".join(gaps)


# ------------------------------------------------------------------------------------------------------ test


@pytest.fixture
def player(git_repo: GitRepo) -> Iterator[Player]:
    git_repo.git("config", "core.symlinks", "true")
    write_tree(git_repo.path, BASE)
    base = git_repo.commit("base")
    git_repo.git("checkout", "-q", "-b", "side")
    shutil.rmtree(git_repo.path / "docs")
    shutil.rmtree(git_repo.path / "contracts")
    shutil.rmtree(git_repo.path / "features")
    write_tree(git_repo.path, SIDE)
    side = git_repo.commit("side")
    git_repo.git("checkout", "-q", "main")
    yield Player(git_repo, base, side)


@pytest.mark.slow
def test_the_daemon_converges_to_a_fresh_sync(
    player: Player, dbx: Db, tmp_path: Path, _sqlite_template: Path
) -> None:
    reference = Reference(tmp_path, _sqlite_template)
    watcher = start(player.root, dbx.url)
    try:
        failures = watcher.stats.failures
        applied: list[str] = []  # the operations of the last example, as applied

        # No shrinking: each example starts from the database the ones before left (a shrunk replay would not),
        # so a failure prints the operations as applied, and those of the example before.
        @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                  phases=(Phase.explicit, Phase.generate),
                  suppress_health_check=list(HealthCheck))
        @given(SEQUENCES)
        @hypothesis_example(SCRIPTED[0])
        @hypothesis_example(SCRIPTED[1])
        def example(ops: list[tuple[str, int, int, bool]]) -> None:
            player.reset()  # (a divergence here may come from the example before: its operations are printed)
            converge(watcher, dbx.engine, reference.snapshot(player.root), "after the reset to the base commit",
                     applied)
            applied.clear()
            for i, (op, a, b, flag) in enumerate(ops):
                applied.append(f"{i}: {player.apply(op, a, b, flag)}")
                note(applied[-1])
            converge(watcher, dbx.engine, reference.snapshot(player.root), "after the operations", [])

        example()
        assert watcher.stats.failures == failures, "a sync of the daemon failed (see the log)"
    finally:
        watcher.stop()
        watcher.join(30)
