"""tracertm's verdicts against cucumber-js's own: ``cucumber-js --dry-run`` on a small project of JavaScript and
TypeScript step files (``tests/steps/node/shop``, with equivalents of the compatibility kit's ``undefined``,
``ambiguous`` and ``unused-steps`` samples), its ``usage-json`` report and its ``message`` stream, compared with
``tracertm steps --format json`` on the same repository.

cucumber-js is pinned in ``tests/steps/node/package.json`` / ``package-lock.json``; ``npm ci`` there installs it
(``.ci/run`` does, and sets ``TRACERTM_REQUIRE_NODE=1`` so that a missing install fails instead of skipping).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import GitRepo

NODE = Path(__file__).resolve().parent / "node"
PROJECT = NODE / "shop"
CUCUMBER = NODE / "node_modules" / ".bin" / "cucumber-js"


def _require_cucumber() -> None:
    """Skip the test when node or cucumber-js is missing; fail instead under ``TRACERTM_REQUIRE_NODE=1`` (CI). Other
    tests comparing verdicts with cucumber-js's own import it from here."""
    missing = None
    if shutil.which("node") is None:
        missing = "node is not installed"
    elif not CUCUMBER.exists():
        missing = f"cucumber-js is not installed: run `npm ci` in {NODE}"
    if missing is None:
        return
    if os.environ.get("TRACERTM_REQUIRE_NODE") == "1":
        pytest.fail(f"TRACERTM_REQUIRE_NODE=1 but {missing}")
    pytest.skip(missing)


def _copy_project(repo: GitRepo) -> None:
    for source in sorted(PROJECT.rglob("*")):
        if source.is_file():
            repo.write(source.relative_to(PROJECT).as_posix(), source.read_bytes())
    repo.commit("cucumber-js project")
    # Step files `require('@cucumber/cucumber')`: resolve it (and ts-node) from the pinned install. Untracked, and
    # never a step folder for tracertm.
    (repo.path / "node_modules").symlink_to(NODE / "node_modules", target_is_directory=True)
    (repo.path / ".git" / "info" / "exclude").write_text("node_modules\nreport/\n")


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _cucumber(repo: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(usage-json report, message envelopes) of a dry run."""
    out = repo / "report"
    env = {**os.environ, "TS_NODE_TRANSPILE_ONLY": "true", "FORCE_COLOR": "0"}
    proc = subprocess.run(
        [str(CUCUMBER), "--dry-run", "--format", f"usage-json:{out / 'usage.json'}",
         "--format", f"message:{out / 'messages.ndjson'}"],
        cwd=repo, capture_output=True, text=True, timeout=180, env=env,
    )
    assert (out / "usage.json").exists(), proc.stdout + proc.stderr
    usage = json.loads((out / "usage.json").read_text())
    # Lines end at \n alone: a step's text may hold U+2028 or \x1c, which str.splitlines takes for line ends.
    messages = [json.loads(line) for line in (out / "messages.ndjson").read_text().split("\n") if line.strip()]
    assert any("testRunFinished" in m for m in messages), proc.stdout + proc.stderr
    return usage, messages


def _verdicts(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """cucumber-js's facts from its messages: definitions, and per executed step the definitions that matched."""
    definitions = {m["stepDefinition"]["id"]: m["stepDefinition"] for m in messages if "stepDefinition" in m}
    located = {d["id"]: f"{d['sourceReference']['uri']}:{d['sourceReference']['location']['line']}"
               for d in definitions.values()}
    lines = {n["id"]: n["location"]["line"] for m in messages if "gherkinDocument" in m
             for n in _walk(m["gherkinDocument"]) if "id" in n and "location" in n}
    pickle_steps = {s["id"]: (p["uri"], s) for m in messages if "pickle" in m for p in [m["pickle"]] for s in p["steps"]}
    undefined: dict[tuple[str, int, str], int | None] = {}
    ambiguous: dict[tuple[str, int, str], list[str]] = {}
    referenced: set[str] = set()
    for m in messages:
        for step in m.get("testCase", {}).get("testSteps", ()):
            if not step.get("pickleStepId"):
                continue  # a hook
            uri, pickle_step = pickle_steps[step["pickleStepId"]]
            ast = pickle_step["astNodeIds"]
            key = (uri, lines[ast[0]], pickle_step["text"])
            ids = step["stepDefinitionIds"]
            referenced.update(ids)
            if not ids:
                undefined.setdefault(key, lines[ast[1]] if len(ast) > 1 else None)
            elif len(ids) > 1:
                ambiguous.setdefault(key, sorted(located[i] for i in ids))
    return {
        "definitions": {located[i]: d["pattern"]["source"] for i, d in definitions.items()},
        "unused": sorted(located[i] for i in definitions if i not in referenced),
        "undefined": undefined,
        "ambiguous": ambiguous,
    }


def _tracertm(repo: Path, *options: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "tracertm", "steps", "--format", "json", str(repo), *options],
        capture_output=True, text=True, timeout=180,
    )
    assert proc.returncode in (0, 1), proc.stderr
    out: dict[str, Any] = json.loads(proc.stdout)
    assert out["errors"] == [], out["errors"]
    return out


def test_cucumber_js_dry_run_agrees(git_repo: GitRepo) -> None:
    _require_cucumber()
    _copy_project(git_repo)
    usage, messages = _cucumber(git_repo.path)
    theirs = _verdicts(messages)
    ours = _tracertm(git_repo.path)

    # The same definitions, found at the same lines of the .js and the .ts file, with the same patterns.
    assert {f"{d['path']}:{d['line']}": d["pattern"] for d in ours["definitions"]} == theirs["definitions"]
    assert {loc.rsplit(".", 1)[1].split(":")[0] for loc in theirs["definitions"]} == {"js", "ts"}

    # Usage counts: the steps a definition alone matches (cucumber-js's usage report counts no ambiguous step).
    their_counts = {f"{u['uri']}:{u['line']}": len(u["matches"]) for u in usage}
    assert {f"{d['path']}:{d['line']}": d["usage_count"] for d in ours["definitions"]} == their_counts

    # Unused: definitions no step matches at all (the kit's "unused-steps"; one matched only by ambiguous steps is
    # not unused — the ambiguity is the finding).
    ours_unused = sorted(f"{d['path']}:{d['line']}" for d in _tracertm(git_repo.path, "--unused")["definitions"])
    assert ours_unused == theirs["unused"] == [
        "features/step_definitions/money.ts:17",  # a voucher of {float} {currency}
        "features/step_definitions/shop.js:19",  # the refund is (\d+) dollars (a call over several lines)
        "features/step_definitions/shop.js:30",  # a step that is not used
    ]

    # Undefined: the kit's "undefined" (also after a defined step), And (a Given), one Examples row only, and a
    # custom parameter type's /./ on 💶, half of which it takes (a Cucumber Expression's RegExp reads UTF-16 units).
    ours_undefined = {(u["path"], u["line"], u["text"]): u["row_line"] for u in ours["undefined"]}
    assert ours_undefined == theirs["undefined"]
    assert ours_undefined[("features/shop.feature", 21, "the total is abc")] == 26
    assert ("features/signs.feature", 4, "the price is shown in \U0001F4B6") in ours_undefined
    assert len(ours_undefined) == 5

    # Ambiguous: the kit's two regexes, and two definitions under different keywords (cucumber ignores keywords).
    ours_ambiguous = {(a["path"], a["line"], a["text"]): sorted(m["location"] for m in a["matches"])
                      for a in ours["ambiguous"]}
    assert ours_ambiguous == theirs["ambiguous"]
    assert sorted(ours_ambiguous) == [("features/compatibility.feature", 12, "a step with multiple definitions"),
                                      ("features/shop.feature", 9, "the basket is kept")]
