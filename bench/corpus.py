"""Deterministic spec corpora and histories for the benchmarks.

    from bench.corpus import build, history
    corpus = build(path, "large", seed=0)        # a git repository with one commit of every spec file
    shas = history(corpus, commits=200, seed=1)  # 200 more commits, each editing/adding/renaming/deleting a few files

Everything is a pure function of (size, seed): the same arguments give byte-identical files and, because author,
committer and dates are pinned, identical commit ids. Files are written with a fixed old mtime and committed with
one ``git add -A && git commit``, so git's stat cache is clean afterwards (no racily-clean entries that every
``git ls-files -m`` would have to re-hash). Histories are written with one ``git fast-import`` stream.

ADRs come in four dialects in turn (Nygard, MADR 2 bullets, MADR 3/4 front matter, bold inline keys); features
have ``scenarios`` scenarios each (10 by default); contracts are service state machines with pre/postconditions.
"""

from __future__ import annotations

import os
import random
import subprocess
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

# (ADRs, contracts, features); every feature has SCENARIOS scenarios.
SIZES: dict[str, tuple[int, int, int]] = {
    "small": (80, 80, 80),
    "medium": (500, 500, 500),
    "large": (2000, 2000, 2000),
}
SCENARIOS = 10
# Files get this mtime (2024-01-01T00:00:00Z), commits this date: both far from "now", both fixed.
FIXED_MTIME = 1_704_067_200
_DATE = "2024-01-01T00:00:00+0000"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_AUTHOR_DATE": _DATE,
    "GIT_COMMITTER_DATE": _DATE,
    "GIT_CONFIG_NOSYSTEM": "1",
}

DIALECTS = ("nygard", "madr2", "madr-front-matter", "bold")
_DOMAINS = ("checkout", "ledger", "risk", "settlement", "notifications", "identity", "catalog", "search")
_WORDS = (  # noqa: SIM905 - a paragraph reads better than a 60-item list
    "payment ledger account balance refund capture settlement merchant card token vault event stream queue "
    "retry timeout idempotency audit report invoice currency schema migration cache index replica shard tenant "
    "session login password policy quota limit throttle webhook callback batch export import archive snapshot "
    "backup restore latency throughput budget alert metric trace log partner acquirer issuer dispute fraud score"
).split()
_STATES = ("pending", "authorized", "captured", "refunded", "failed", "settled", "disputed", "closed")
_NAMES = ("Maya Okafor", "Daniel Reyes", "Priya Natarajan", "Tomás Lindqvist", "Aiko Tanaka", "Lena Vogel")


def git(root: Path, *args: str, input: bytes | None = None) -> str:
    """Run git in ``root`` with the pinned identity and dates; returns stdout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | GIT_ENV
    proc = subprocess.run(
        ["git", "-c", "commit.gpgsign=false", "-c", "core.autocrlf=false", *args],
        cwd=root, env=env, input=input, capture_output=True, check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout.decode()


# ------------------------------------------------------------------------------------------------- documents


class _Text:
    """Seeded prose: titles, sentences, paragraphs."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def words(self, n: int) -> str:
        return " ".join(self.rng.choice(_WORDS) for _ in range(n))

    def title(self) -> str:
        return self.words(self.rng.randint(3, 6)).capitalize()

    def sentence(self) -> str:
        return self.words(self.rng.randint(8, 16)).capitalize() + "."

    def paragraph(self, lines: int = 3) -> str:
        return "\n".join(self.sentence() for _ in range(lines))


def _slug(title: str) -> str:
    return "-".join(title.lower().split())[:60]


def adr_text(number: int, rng: random.Random, dialect: str, edit: int = 0) -> tuple[str, str]:
    """(file name, text) of ADR ``number`` in ``dialect``. ``edit`` > 0 changes the decision (a new version)."""
    t = _Text(rng)
    title = t.title()
    date = f"20{20 + number % 5}-{number % 12 + 1:02d}-{number % 28 + 1:02d}"
    status = rng.choice(("Accepted", "Accepted", "Accepted", "Proposed", "Deprecated"))
    deciders = ", ".join(rng.sample(_NAMES, 2))
    ref = f"ADR-{max(1, number - rng.randint(1, 9)):04d}"
    req = f"REQ-{rng.randint(100, 999)}"
    context = t.paragraph(3) + f"\nSee {ref} and {req}."
    decision = t.paragraph(2) + (f"\nRevision {edit}: the decision was revised." if edit else "")
    options = [t.title() for _ in range(3)]
    name = f"{number:04d}-{_slug(title)}.md"
    if dialect == "nygard":
        text = (
            f"# {number}. {title}\n\nDate: {date}\n\n## Status\n\n{status}\n\n## Context\n\n{context}\n\n"
            f"## Decision\n\nWe will {decision}\n\n## Consequences\n\n- {t.sentence()}\n- {t.sentence()}\n"
        )
    elif dialect == "madr2":
        text = (
            f"# {title}\n\n* Status: {status.lower()}\n* Deciders: {deciders}\n* Date: {date}\n\n"
            f"Technical Story: {req}\n\n## Context and Problem Statement\n\n{context}\n\n"
            "## Decision Drivers\n\n" + "".join(f"* {t.sentence()}\n" for _ in range(2)) + "\n"
            "## Considered Options\n\n" + "".join(f"* {o}\n" for o in options) + "\n"
            f"## Decision Outcome\n\nChosen option: \"{options[0]}\", because {decision}\n\n"
            f"### Positive Consequences\n\n* {t.sentence()}\n\n### Negative Consequences\n\n* {t.sentence()}\n\n"
            "## Pros and Cons of the Options\n\n"
            + "".join(f"### {o}\n\n* Good, because {t.words(6)}\n* Bad, because {t.words(6)}\n\n" for o in options)
        )
    elif dialect == "madr-front-matter":
        text = (
            f"---\nstatus: {status.lower()}\ndate: {date}\ndeciders: {deciders}\n"
            f"consulted: {rng.choice(_NAMES)}\ninformed: {t.words(2)}\n---\n# {title}\n\n"
            f"## Context and Problem Statement\n\n{context}\n\n## Considered Options\n\n"
            + "".join(f"* {o}\n" for o in options)
            + f"\n## Decision Outcome\n\nChosen option: \"{options[1]}\", because {decision}\n\n"
            f"### Consequences\n\n* Good, because {t.words(7)}\n* Bad, because {t.words(7)}\n\n"
            f"## More Information\n\n{t.paragraph(2)}\n"
        )
    else:  # bold inline keys
        text = (
            f"# ADR-{number:04d}: {title}\n\n**Status:** {status}\n**Date:** {date}\n**Authors:** {deciders}\n\n"
            f"## Context\n\n{context}\n\n## Decision\n\n{decision}\n\n## Consequences\n\n"
            f"- {t.sentence()}\n- {t.sentence()}\n- {t.sentence()}\n"
        )
    return name, text


def contract_text(number: int, rng: random.Random, edit: int = 0, adrs: int = 2000) -> str:
    t = _Text(rng)
    states = list(_STATES[: rng.randint(3, len(_STATES))])
    transitions = "".join(
        f"  - {{from: {a}, to: {b}, trigger: to_{b}, condition: {t.words(3)}}}\n" for a, b in pairwise(states)
    )
    pre = "".join(
        f"  - {{id: pre-{i}, description: {t.words(5)}, condition: \"x{i} > {i}\", priority: high}}\n"
        for i in range(1, rng.randint(2, 4) + 1)
    )
    post = "".join(f"  - {{id: post-{i}, description: {t.words(6)}}}\n" for i in range(1, rng.randint(1, 3) + 1))
    refs = ", ".join(f"ADR-{rng.randint(1, max(1, adrs)):04d}" for _ in range(2))
    return (
        f"# {t.sentence()}\nid: CTR-{number:04d}\ntitle: {t.title()}\ntype: service\n"
        f"status: {'approved' if number % 3 else 'draft'}\ntags: [{rng.choice(_DOMAINS)}, {rng.choice(_WORDS)}]\n"
        f"preconditions:\n{pre}postconditions:\n{post}invariants:\n  - \"{t.words(3)} >= 0\"\n"
        + (f"  - \"revision {edit} >= 0\"\n" if edit else "")
        + f"states: [{', '.join(states)}]\ntransitions:\n{transitions}"
        f"metadata:\n  owner: team-{rng.choice(_DOMAINS)}\n  adrs: [{refs}]\n"
        f"  requirements: [REQ-{rng.randint(100, 999)}]\n"
    )


def feature_text(number: int, rng: random.Random, scenarios: int = SCENARIOS, edit: int = 0, adrs: int = 2000) -> str:
    t = _Text(rng)
    name = t.title()
    out = [
        f"@FEAT-{number} @approved @ADR-{rng.randint(1, max(1, adrs)):04d} @REQ-{rng.randint(100, 999)}\n",
        f"Feature: {name}\n  As a {rng.choice(_WORDS)} owner\n  I want {t.words(5)}\n  So that {t.words(6)}\n\n",
        f"  Background:\n    Given the {t.words(3)} is configured\n\n",
    ]
    edited = (edit - 1) % scenarios if edit else -1
    for i in range(1, scenarios + 1):
        out.append(f"  @SC-{i}\n")
        if i % 5 == 0:
            out.append(
                f"  Scenario Outline: {t.title()} {i}\n    When the client sends <amount> <currency>\n"
                "    Then the answer is <status>\n\n    Examples:\n      | amount | currency | status |\n"
                + "".join(f"      | {rng.randint(1, 999)} | EUR | {rng.choice((200, 409, 422))} |\n" for _ in range(3))
                + "\n"
            )
            continue
        out.append(
            f"  Scenario: {t.title()} {i}\n    Given {t.words(5)}\n    And {t.words(4)}\n"
            f"    When {t.words(5)}\n    Then {t.words(6)}\n    And {t.words(4)}"
            + (f" revised {edit}" if i - 1 == edited else "")
            + "\n\n"
        )
    return "".join(out)


# ------------------------------------------------------------------------------------------------ step files

# Step definitions per size (cucumber-js and cucumber-jvm files in turn, STEPS_PER_FILE each).
STEP_DEFINITIONS: dict[str, int] = {"small": 80, "medium": 500, "large": 2000}
STEPS_PER_FILE = 50


def _step_patterns(count: int) -> list[tuple[str, str]]:
    """``count`` (kind, pattern) pairs that match the generated features' steps: the Background and outline steps,
    then ``<w1> <w2>`` followed by 2-4 ``{word}``s, for word pairs in a fixed shuffled order (about one random
    scenario step in five finds a definition); every fourth is a regex."""
    fixed = [("expr", "the {word} {word} {word} is configured"), ("expr", "the client sends {int} {word}"),
             ("regex", r"^the answer is (\d+)$")]
    pairs = [(a, b) for a in _WORDS for b in _WORDS]
    random.Random("steps").shuffle(pairs)
    out = fixed[:count]
    for i, (a, b) in enumerate(pairs):
        if len(out) >= count:
            break
        tail = 2 + i % 3
        if i % 4 == 3:
            out.append(("regex", f"^{a} {b}" + r" (\w+)" * tail + "$"))
        else:
            out.append(("expr", f"{a} {b}" + " {word}" * tail))
    return out


def _java_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def step_files(count: int) -> dict[str, str]:
    """Repository path → text of step files holding ``count`` definitions, JavaScript and Java in turn."""
    patterns = _step_patterns(count)
    files: dict[str, str] = {}
    for n, start in enumerate(range(0, len(patterns), STEPS_PER_FILE), start=1):
        chunk = patterns[start : start + STEPS_PER_FILE]
        if n % 2:
            body = "".join(
                f"Given(/{p}/, function (...args) {{}});\n" if k == "regex"
                else f"Given('{p}', function (...args) {{}});\n"
                for k, p in chunk
            )
            files[f"features/step_definitions/steps_{n:03d}.js"] = (
                "const { Given } = require('@cucumber/cucumber');\n\n" + body)
        else:
            body = "".join(  # a Java string literal doubles the regex's backslashes
                f'    @Given("{_java_escape(p)}")\n    public void step{j}() {{}}\n\n' for j, (_, p) in enumerate(chunk))
            files[f"src/test/java/steps/Steps{n:03d}.java"] = (
                f"package steps;\n\nimport io.cucumber.java.en.Given;\n\npublic class Steps{n:03d} {{\n{body}}}\n")
    return files


# ----------------------------------------------------------------------------------------------------- corpus


@dataclass
class Corpus:
    """A generated repository. ``files`` maps each repository path to its kind, ``numbers`` each path to its id
    number (ADR n, CTR-n, FEAT-n); ``counts`` holds the record counts (adr, contract, feature, scenario)."""

    root: Path
    size: str
    seed: int
    files: dict[str, str] = field(default_factory=dict)
    numbers: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    scenarios: int = SCENARIOS
    _edits: int = 0

    def paths(self, kind: str) -> list[str]:
        return sorted(p for p, k in self.files.items() if k == kind)

    def edit(self, path: str | None = None, *, commit: bool = False) -> str:
        """Change the meaning of one spec file in the work tree (a new version of one record); returns its path.
        Default: the next ADR in turn. ``commit`` also commits it."""
        self._edits += 1
        path = path or self.paths("adr")[(self._edits * 7919) % len(self.paths("adr"))]
        text = self.render(path, edit=self._edits)
        (self.root / path).write_text(text, encoding="utf-8")
        if commit:
            git(self.root, "commit", "-q", "-a", "-m", f"edit {path}")
        return path

    def render(self, path: str, edit: int = 0) -> str:
        """The text of ``path`` as generated (``edit`` > 0: edited version ``edit``)."""
        kind, number = self.files[path], self.numbers[path]
        rng = _rng(self.seed, kind, number)
        if kind == "adr":
            return adr_text(number, rng, DIALECTS[number % len(DIALECTS)], edit)[1]
        if kind == "contract":
            return contract_text(number, rng, edit, self.counts.get("adr", 1))
        return feature_text(number, rng, self.scenarios, edit, self.counts.get("adr", 1))


def _rng(seed: int, kind: str, number: int) -> random.Random:
    # One stream per file: a file's text does not depend on how many files came before it.
    return random.Random(f"{seed}:{kind}:{number}")


def _place(kind: str, number: int, seed: int) -> str:
    domain = _DOMAINS[random.Random(f"{seed}:dir:{kind}:{number}").randrange(len(_DOMAINS))]
    if kind == "contract":
        return f"contracts/{domain}/ctr-{number:04d}.yaml"
    return f"features/{domain}/feat-{number:04d}.feature"


def build(
    root: str | os.PathLike[str],
    size: str = "small",
    seed: int = 0,
    *,
    adrs: int | None = None,
    contracts: int | None = None,
    features: int | None = None,
    scenarios: int = SCENARIOS,
    step_definitions: int = 0,
) -> Corpus:
    """Create a git repository at ``root`` (must not exist or be empty) holding a corpus of ``size``; counts can be
    overridden one by one. ``step_definitions`` > 0 adds step files (``STEP_DEFINITIONS`` has a count per size)."""
    n_adr, n_ctr, n_feat = SIZES[size]
    n_adr, n_ctr, n_feat = (
        adrs if adrs is not None else n_adr,
        contracts if contracts is not None else n_ctr,
        features if features is not None else n_feat,
    )
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    if any(path.iterdir()):
        raise FileExistsError(f"{path} is not empty")
    corpus = Corpus(path, size, seed, scenarios=scenarios)
    written: list[Path] = []
    dirs: set[Path] = set()

    def put(rel: str, kind: str, number: int, text: str) -> None:
        corpus.files[rel] = kind
        corpus.numbers[rel] = number
        full = path / rel
        if full.parent not in dirs:
            full.parent.mkdir(parents=True, exist_ok=True)
            dirs.add(full.parent)
        full.write_text(text, encoding="utf-8")
        written.append(full)

    corpus.counts = {"adr": n_adr, "contract": n_ctr, "feature": n_feat, "scenario": n_feat * scenarios}
    for n in range(1, n_adr + 1):
        name, text = adr_text(n, _rng(seed, "adr", n), DIALECTS[n % len(DIALECTS)])
        put(f"docs/adr/{name}", "adr", n, text)
    for n in range(1, n_ctr + 1):
        rel = _place("contract", n, seed)
        corpus.files[rel], corpus.numbers[rel] = "contract", n
        put(rel, "contract", n, corpus.render(rel))
    for n in range(1, n_feat + 1):
        rel = _place("feature", n, seed)
        corpus.files[rel], corpus.numbers[rel] = "feature", n
        put(rel, "feature", n, corpus.render(rel))
    for rel, text in step_files(step_definitions).items() if step_definitions else ():
        put(rel, "step", 0, text)
    (path / "README.md").write_text(f"# Benchmark corpus ({size}, seed {seed})\n", encoding="utf-8")
    for full in written:
        os.utime(full, (FIXED_MTIME, FIXED_MTIME))
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", f"bench corpus {size} seed {seed}")
    return corpus


# ---------------------------------------------------------------------------------------------------- history


def history(corpus: Corpus, commits: int, seed: int = 1, changes: tuple[int, int] = (1, 4)) -> list[str]:
    """Append ``commits`` commits to ``corpus`` (one ``git fast-import`` run), each making ``changes`` (min, max)
    edits, additions, renames or deletions of spec files; then check the result out. Returns the new commit ids,
    oldest first. ``corpus.files`` follows the new HEAD."""
    rng = random.Random(f"history:{corpus.seed}:{seed}")
    root = corpus.root
    parent = git(root, "rev-parse", "HEAD").strip()
    top = {kind: max((n for p, n in corpus.numbers.items() if corpus.files[p] == kind), default=0)
           for kind in ("adr", "contract", "feature")}
    stream: list[bytes] = []
    base_time = 1_704_067_200
    for c in range(commits):
        ops: list[bytes] = []
        touched: set[str] = set()
        for _ in range(rng.randint(*changes)):
            action = rng.choices(("edit", "add", "rename", "delete"), weights=(6, 2, 1, 1))[0]
            # (step files stay as generated: ``render`` writes spec files; a feature in a .js file is an error)
            live = sorted(p for p in corpus.files if p not in touched and corpus.files[p] != "step")
            if action != "add" and len(live) < 10:
                action = "add"
            if action == "add":
                kind = rng.choice(("adr", "contract", "feature"))
                top[kind] += 1
                n = top[kind]
                if kind == "adr":
                    rel = f"docs/adr/{adr_text(n, _rng(corpus.seed, kind, n), DIALECTS[n % len(DIALECTS)])[0]}"
                else:
                    rel = _place(kind, n, corpus.seed)
                corpus.files[rel], corpus.numbers[rel] = kind, n
                ops.append(_modify(rel, corpus.render(rel)))
            elif action == "edit":
                rel = rng.choice(live)
                corpus._edits += 1
                ops.append(_modify(rel, corpus.render(rel, edit=corpus._edits)))
            elif action == "rename":
                rel = rng.choice(live)
                kind, n = corpus.files.pop(rel), corpus.numbers.pop(rel)
                folder, _, base = rel.rpartition("/")
                if kind == "adr":
                    new = f"{folder}/{base[:4]}-renamed-{c}.md"  # same number prefix: the same ADR
                else:
                    new = f"{folder.split('/')[0]}/moved/{base}"
                if new in corpus.files:
                    corpus.files[rel], corpus.numbers[rel] = kind, n
                    continue
                corpus.files[new], corpus.numbers[new] = kind, n
                ops.append(f"R {rel} {new}\n".encode())
                rel = new
            else:
                rel = rng.choice(live)
                del corpus.files[rel], corpus.numbers[rel]
                ops.append(f"D {rel}\n".encode())
            touched.add(rel)
        when = base_time + 3600 * (c + 1)
        message = f"history commit {c + 1}".encode()
        head = (
            f"commit refs/heads/main\nmark :{c + 1}\nauthor Bench <bench@example.com> {when} +0000\n"
            f"committer Bench <bench@example.com> {when} +0000\ndata {len(message)}\n"
        ).encode() + message + b"\n"
        if c == 0:
            head += f"from {parent}\n".encode()
        stream.append(head + b"".join(ops) + b"\n")
    if not commits:
        return []
    git(root, "fast-import", "--quiet", "--done", input=b"".join(stream) + b"done\n")
    shas = git(root, "rev-list", "--reverse", f"{parent}..main").split()
    git(root, "reset", "-q", "--hard", "main")
    # A clean stat cache again: fixed mtimes, then let git record them.
    for rel in corpus.files:
        os.utime(root / rel, (FIXED_MTIME, FIXED_MTIME))
    git(root, "update-index", "-q", "--really-refresh")
    return shas


def _modify(path: str, text: str) -> bytes:
    data = text.encode("utf-8")
    return f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n"


__all__ = ["DIALECTS", "SIZES", "Corpus", "adr_text", "build", "contract_text", "feature_text", "git", "history"]
