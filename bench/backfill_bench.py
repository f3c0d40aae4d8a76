"""Backfill vs the naive way (check out every commit and run a full sync of the work tree).

    python bench/backfill_bench.py                  # 1,000 commits over 3,000 spec files
    python bench/backfill_bench.py --smoke          # tiny, a few seconds
    python bench/backfill_bench.py --commits 2000 --files 5000 --naive-commits 50 --database-url postgresql+psycopg://...

The repository is generated deterministically (seeded RNG) with one ``git fast-import``: a first commit with every
file, then commits that edit 1-4 files each (scenario steps, ADR decisions, contract states), with occasional
reformat-only edits, deletions, restorations, renames and syntax errors.

The naive way is slow, so it is timed on the first ``--naive-commits`` commits only and extrapolated per commit to
the whole history (the output says so). ``run(smoke)`` returns rows for a suite runner.

A second history of real size (``--real-commits`` 9,000 commits over ``--real-files`` 2,400 spec files, of which 800
features) is replayed by ``python -m tracertm backfill`` in a process of its own: its wall time (start-up included)
and the peak RSS of its largest process (the backfill or a parse worker) are rows of their own.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

TARGET_SPEEDUP = 50.0
REAL_COMMITS, REAL_FILES = 9000, 2400  # 800 features, 800 ADRs, 800 contracts
TARGET_REAL_SECONDS, TARGET_REAL_MB = 25.0, 300.0
# Runs a command and prints its wall time, the peak RSS of its largest process (KiB), as bench/run.py does, and the
# CPU time of all its processes (the backfill, its parse workers, git): on a shared machine the wall time is noise.
_RSS_WRAPPER = (
    "import json, resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
    "el = time.perf_counter() - t\n"
    "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(json.dumps({'rc': rc, 'elapsed': el, 'maxrss': u.ru_maxrss, 'cpu': u.ru_utime + u.ru_stime}))\n"
)
_AUTHORS = ("Ada Lovelace <ada@example.com>", "Grace Hopper <grace@example.com>", "Alan Turing <alan@example.com>",
            "Edsger Dijkstra <edsger@example.com>", "Barbara Liskov <barbara@example.com>")


# ------------------------------------------------------------------------------------------------ repository


def _adr(n: int, choice: int, wrap: bool) -> str:
    context = "We need to decide how component {n} stores its data\nand who owns it." if wrap else \
        "We need to decide how component {n} stores its data and who owns it."
    return (
        f"# {n}. Decision {n}\n\nDate: 2023-{1 + n % 12:02d}-{1 + n % 28:02d}\n\n## Status\n\nAccepted\n\n"
        f"## Context\n\n{context.format(n=n)}\n\n## Decision\n\nWe choose option {choice} for component {n}.\n\n"
        "## Consequences\n\nSome work.\n"
    )


def _contract(n: int, states: int, indent: str) -> str:
    names = ["pending", "authorized", "captured", "settled", "refunded", "closed"][: 2 + states % 5]
    transitions = "".join(f"{indent}- {{from: {a}, to: {b}, trigger: go_{b}}}\n" for a, b in pairwise(names))
    return (f"id: CTR-{n:05d}\ntitle: Contract {n}\ntype: service\nstatus: approved\n"
            f"states: [{', '.join(names)}]\ntransitions:\n{transitions}")


def _feature(n: int, version: int, indent: str) -> str:
    body = ""
    for s in range(1, 4):
        step = f"Then result {s} is {version if s == 1 + version % 3 else 0}"
        body += (f"\n{indent}@SC-{n * 10 + s}\n{indent}Scenario: case {s} of feature {n}\n"
                 f"{indent}  Given state {s}\n{indent}  When I act on {n}\n{indent}  {step}\n")
    return f"@FEAT-{n}\nFeature: Feature {n}\n  As a user\n  I want feature {n}\n  So that it works\n{body}"


class _Spec:
    """One spec file's evolving state."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.kind = ("adr", "contract", "feature")[n % 3]
        self.version = 0
        self.style = 0
        self.path = {"adr": f"docs/adr/{n:05d}-decision-{n}.md", "contract": f"contracts/area{n % 20}/c{n}.yaml",
                     "feature": f"features/area{n % 20}/f{n}.feature"}[self.kind]

    def text(self) -> str:
        indent = "  " if self.style % 2 == 0 else "    "
        if self.kind == "adr":
            return _adr(self.n, self.version, wrap=self.style % 2 == 1)
        if self.kind == "contract":
            return _contract(self.n, self.version, indent)
        return _feature(self.n, self.version, indent)


def generate(path: Path, commits: int, files: int, seed: int = 20240501) -> None:
    """Write the history into a new repository at ``path`` with ``git fast-import``."""
    rng = random.Random(seed)
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    specs = [_Spec(n) for n in range(1, files + 1)]
    live = {s.n for s in specs}
    gone: set[int] = set()
    chunks: list[bytes] = []

    def data(text: str) -> None:
        raw = text.encode()
        chunks.append(b"data %d\n" % len(raw) + raw + b"\n")

    for i in range(1, commits + 1):
        who = rng.choice(_AUTHORS)
        stamp = 1_600_000_000 + i * 3_600
        chunks.append(f"commit refs/heads/main\nmark :{i}\nauthor {who} {stamp} +0000\ncommitter {who} {stamp} +0000\n".encode())
        data(f"change {i}")
        if i > 1:
            chunks.append(f"from :{i - 1}\n".encode())
        if i == 1:
            for s in specs:
                chunks.append(f"M 100644 inline {s.path}\n".encode())
                data(s.text())
        else:
            for _ in range(rng.randint(1, 4)):
                roll = rng.random()
                if roll < 0.04 and gone:  # restore a deleted file
                    s = specs[rng.choice(sorted(gone)) - 1]
                    gone.discard(s.n)
                    live.add(s.n)
                elif roll < 0.08 and len(live) > 1:  # delete
                    s = specs[rng.choice(sorted(live)) - 1]
                    live.discard(s.n)
                    gone.add(s.n)
                    chunks.append(f"D {s.path}\n".encode())
                    continue
                elif roll < 0.10:  # rename within its folder
                    s = specs[rng.choice(sorted(live)) - 1]
                    chunks.append(f"D {s.path}\n".encode())
                    stem, dot, ext = s.path.rpartition(".")
                    s.path = f"{stem}-r{i}{dot}{ext}" if s.kind != "feature" else s.path  # features: id from tag
                else:
                    s = specs[rng.choice(sorted(live)) - 1]
                    if roll < 0.20:
                        s.style += 1  # reformat only
                    elif roll < 0.22:
                        chunks.append(f"M 100644 inline {s.path}\n".encode())
                        data("id: [broken\n" if s.kind == "contract" else s.text().replace("Feature:", "Feature :\n  Scenario"))
                        continue
                    else:
                        s.version += 1
                chunks.append(f"M 100644 inline {s.path}\n".encode())
                data(s.text())
        chunks.append(b"\n")
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input=b"".join(chunks), check=True)
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=path, check=True)


# ----------------------------------------------------------------------------------------------- measurements


def _database(url: str | None, scratch: Path, name: str) -> str:
    return url or f"sqlite:///{scratch / (name + '.db')}"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_backfill(repo: Path, url: str, batch_size: int | None = None,
                  project: str | None = None) -> tuple[float, Any, float, float]:
    """Wall seconds, the result, the CPU seconds of this process, and those of its children (the parse workers and
    git, reaped when the backfill returns) of a backfill (of a new project unless ``project`` is named)."""
    from tracertm import db
    from tracertm.history.backfill import backfill

    engine = db.open_engine(url)
    project = project or f"bench-backfill-{os.getpid()}-{time.time_ns()}"
    try:
        start, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
        result = backfill(repo, engine=engine, project=project, batch_size=batch_size)
        return time.perf_counter() - start, result, time.process_time() - cpu, _children_cpu() - children
    finally:
        engine.dispose()


def _commit_edit(repo: Path, n: int) -> None:
    """A new commit on ``repo`` that edits one feature file (as a developer's commit between two backfills)."""
    path = sorted((repo / "features").rglob("*.feature"))[0]
    path.write_text(path.read_text() + f"\n  Scenario: added {n}\n    Given step {n}\n")
    env = {**os.environ, "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
           "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}
    subprocess.run(["git", "commit", "-q", "-am", f"edit {n}"], cwd=repo, env=env, check=True)


def time_after_hook(repo: Path, url: str, project: str) -> tuple[float, float, int]:
    """The backfill of one new commit after a complete one (``project``'s), with no sync between, then of one more
    commit after a post-commit hook's ``sync --ref HEAD`` of it: (seconds without, seconds with, commits the second
    replayed in memory — none when it stands on the hook's rows, ``history.synced``)."""
    from tracertm import db
    from tracertm.engine.sync import sync

    _commit_edit(repo, 1)
    plain, _, _, _ = time_backfill(repo, url, project=project)
    _commit_edit(repo, 2)
    engine = db.open_engine(url)
    try:
        sync(repo, ref="HEAD", engine=engine, project=project, trigger="hook")
    finally:
        engine.dispose()
    hooked, result, _, _ = time_backfill(repo, url, project=project)
    return plain, hooked, result.replayed


def time_naive(repo: Path, url: str, scratch: Path, commits: int) -> tuple[float, float, int]:
    """Check out each of the first ``commits`` first-parent commits in a scratch clone and sync the work tree.

    Returns (seconds for the first commit, seconds per later commit, commits timed)."""
    from tracertm import db
    from tracertm.engine.sync import sync

    clone = scratch / "naive-clone"
    subprocess.run(["git", "clone", "-q", "--no-checkout", str(repo), str(clone)], check=True)
    shas = subprocess.run(["git", "-C", str(repo), "rev-list", "--first-parent", "--reverse", "HEAD"],
                          capture_output=True, text=True, check=True).stdout.split()[:commits]
    engine = db.open_engine(url)
    project = f"bench-naive-{os.getpid()}-{time.time_ns()}"
    first = later = 0.0
    try:
        for i, sha in enumerate(shas):
            start = time.perf_counter()
            subprocess.run(["git", "-C", str(clone), "checkout", "-q", "--detach", "-f", sha], check=True)
            sync(clone, engine=engine, project=project)
            spent = time.perf_counter() - start
            if i == 0:
                first = spent
            else:
                later += spent
    finally:
        engine.dispose()
    timed = len(shas)
    return first, later / max(1, timed - 1), timed


def time_real_size(repo: Path, url: str) -> dict[str, Any]:
    """``python -m tracertm backfill`` of ``repo`` in a process of its own: wall time (start-up and the migration of
    the empty database included), exit code and peak RSS of its largest process."""
    import json

    env = {k: v for k, v in os.environ.items() if k != "TRACERTM_DATABASE_URL"}
    command = [sys.executable, "-m", "tracertm", "backfill", str(repo), "--database-url", url]
    proc = subprocess.run([sys.executable, "-c", _RSS_WRAPPER, *command], cwd=repo, env=env, capture_output=True,
                          text=True, check=True)
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def real_size_rows(scratch: Path, smoke: bool, database_url: str | None, commits: int | None = None,
                   files: int | None = None, say: Any = None) -> list[dict[str, Any]]:
    """The real-size history: generated, then replayed through the CLI (see the module docs)."""
    commits = commits or (100 if smoke else REAL_COMMITS)
    files = files or (30 if smoke else REAL_FILES)
    repo = scratch / "real-size"
    start = time.perf_counter()
    generate(repo, commits, files, seed=20241130)
    if say:
        say(f"generated the real-size history ({commits} commits, {files} files) in {time.perf_counter() - start:.1f}s")
    out = time_real_size(repo, _database(database_url, scratch, "real-size"))
    load = os.getloadavg()[0]
    mb = out["maxrss"] / 1024
    size = f"{commits} commits over {files} spec files ({files // 3} features); exit {out['rc']}"
    if say:
        say(f"real-size backfill through the CLI: {out['elapsed']:.1f}s (CPU {out['cpu']:.1f}s in all its processes, "
            f"load {load:.1f}), peak RSS {mb:.0f} MB (exit {out['rc']})")
    return [
        {"name": "real-size backfill via CLI, wall time", "value": round(out["elapsed"], 2), "unit": "s",
         "target": "" if smoke else f"<= {TARGET_REAL_SECONDS:g}",
         "detail": f"`python -m tracertm backfill`, start-up included; {size}; load average {load:.1f}"},
        {"name": "real-size backfill CPU time (all processes)", "value": round(out["cpu"], 2), "unit": "s",
         "target": "", "detail": "user + system time of the backfill, its parse workers and git; the wall time on "
                                 f"a machine of {os.cpu_count()} cores is at least this ÷ {os.cpu_count()}"},
        {"name": "real-size backfill peak RSS (largest process)", "value": round(mb, 1), "unit": "MB",
         "target": "" if smoke else f"< {TARGET_REAL_MB:g}", "detail": f"ru_maxrss; {size}"},
    ]


def run(smoke: bool = False, *, commits: int | None = None, files: int | None = None, naive_commits: int | None = None,
        database_url: str | None = None, verbose: bool = False, real_size: bool = True) -> list[dict[str, Any]]:
    """Generate, backfill, time the naive way; return rows ``{name, value, unit, target, detail}``."""
    commits = commits or (40 if smoke else 1000)
    files = files or (60 if smoke else 3000)
    naive_commits = min(commits, naive_commits or (3 if smoke else 50))
    say = print if verbose else (lambda *a, **k: None)
    scratch = Path(tempfile.mkdtemp(prefix="tracertm-bench-"))
    env_backup = {k: os.environ.get(k) for k in ("GIT_CONFIG_NOSYSTEM",)}
    os.environ["GIT_CONFIG_NOSYSTEM"] = "1"
    try:
        repo = scratch / "repo"
        start = time.perf_counter()
        generate(repo, commits, files)
        say(f"generated {commits} commits over {files} spec files in {time.perf_counter() - start:.1f}s")

        project = f"bench-backfill-{os.getpid()}-{time.time_ns()}"
        url = _database(database_url, scratch, "backfill")
        spent, result, parent_cpu, children_cpu = time_backfill(repo, url, project=project)
        backfill_load = os.getloadavg()[0]
        say(f"backfill: {spent:.2f}s for {result.commits} commits ({commits / spent:.0f} commits/s), "
            f"{result.revisions} revisions, {result.files_parsed} blobs parsed, {len(result.errors)} errors, "
            f"{result.batches} batches; CPU {parent_cpu:.2f}s in its process, {children_cpu:.2f}s in its parse "
            f"workers and git (load {backfill_load:.1f})")

        plain, hooked, replayed = time_after_hook(repo, url, project)
        say(f"one new commit: backfill {plain:.2f}s; after a hook's sync of the next one {hooked:.2f}s "
            f"({replayed} commits replayed)")

        first, later, timed = time_naive(repo, _database(database_url, scratch, "naive"), scratch, naive_commits)
        naive_total = first + later * (commits - 1)
        extrapolated = timed < commits
        say(f"naive (checkout + full sync per commit): first commit {first:.2f}s, then {later * 1000:.1f} ms/commit"
            + (f" — timed on the first {timed} commits, extrapolated to {commits}: {naive_total:.1f}s"
               if extrapolated else f": {naive_total:.1f}s"))
        speedup = naive_total / spent
        say(f"speed-up: {speedup:.1f}x (target >= {TARGET_SPEEDUP:.0f}x; load average {os.getloadavg()[0]:.1f})")
        size = f"{commits} commits, {files} spec files"
        naive_how = (f"timed on the first {timed} commits, extrapolated per commit to {commits}" if extrapolated
                     else f"timed on all {commits} commits")
        target = "" if smoke else f">= {TARGET_SPEEDUP:g}"
        real = real_size_rows(scratch, smoke, database_url, say=say) if real_size else []
        return [
            {"name": "backfill.seconds", "value": round(spent, 3), "unit": "s", "target": "",
             "detail": f"{size}; CPU {parent_cpu:.2f}s in the backfill's own process, {children_cpu:.2f}s in its "
                       f"parse workers and git; load {backfill_load:.1f}"},
            {"name": "backfill.commits_per_second", "value": round(commits / spent, 1), "unit": "commits/s",
             "target": "", "detail": f"{result.revisions} revisions, {result.files_parsed} blobs parsed"},
            {"name": "naive.ms_per_commit", "value": round(later * 1000, 1), "unit": "ms", "target": "",
             "detail": "git checkout + full sync of the work tree, per commit after the first"},
            {"name": "naive.seconds", "value": round(naive_total, 1), "unit": "s", "target": "", "detail": naive_how},
            {"name": "backfill speed-up vs naive", "value": round(speedup, 1), "unit": "x", "target": target,
             "detail": naive_how + ("; smoke sizes: the target applies to the default run" if smoke else "")},
            {"name": "backfill of a new commit after a hook's sync / with no sync between",
             "value": round(hooked / plain, 2), "unit": "x", "target": "" if smoke else "<= 2",
             "detail": f"{size}; {hooked:.2f} s against {plain:.2f} s; {replayed} commits replayed in memory "
                       "(the whole history when the merge cannot stand on the hook's rows)"},
            *real,
        ]
    finally:
        for key, value in env_backup.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes; finishes in a few seconds")
    parser.add_argument("--commits", type=int, help="commits to generate (default 1000; smoke 40)")
    parser.add_argument("--files", type=int, help="spec files (default 3000; smoke 60)")
    parser.add_argument("--naive-commits", type=int, help="commits the naive way is timed on (default 50; smoke 3)")
    parser.add_argument("--database-url", help="database for both runs (default: fresh SQLite files)")
    parser.add_argument("--no-real-size", action="store_true", help="skip the real-size history (9,000 commits)")
    args = parser.parse_args(argv)
    rows = run(args.smoke, commits=args.commits, files=args.files, naive_commits=args.naive_commits,
               database_url=args.database_url, verbose=True, real_size=not args.no_real_size)
    width = max(len(r["name"]) for r in rows)
    for row in rows:
        target = f"  (target {row['target']})" if row["target"] else ""
        print(f"{row['name']:<{width}}  {row['value']} {row['unit']}{target}  [{row['detail']}]")
    speedup = next(r for r in rows if r["name"] == "backfill speed-up vs naive")
    return 0 if args.smoke or speedup["value"] >= TARGET_SPEEDUP else 1


if __name__ == "__main__":
    sys.exit(main())
