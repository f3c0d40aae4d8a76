"""Steps matched in the parse workers (tracertm.steps.prematch) give exactly the rows of matching in sync's own
process, on SQLite and PostgreSQL: a cold sync with enough feature files for the parse pool, with worker matching
on (two workers, and one process; a work tree and a commit) and off, leaves the same ``scenario_steps``, usage counts, step trace links
and warnings; a step file that fails to parse, or a definition too slow to match, falls back to the parent.

The parse pool starts here at ``THRESHOLD`` files instead of ``PARALLEL_THRESHOLD`` (200): what is compared does
not depend on how many files start the pool, and a corpus of 200 features cost ~10 s of the suite."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import GitRepo
from test_match_diff import MORE, MORE_PATH, SHOP, STEPS, STEPS_PATH, STOCK, _difference, _dump
from tracertm import db
from tracertm.engine import parse, reading
from tracertm.engine import sync as sync_module
from tracertm.engine.parse import ParsePool
from tracertm.engine.sync import sync
from tracertm.steps import links as links_module

BEHAVE = """\
from behave import given, when, then, step

@given('a basket of {n:d}')
def basket(context, n):
    pass

@when('I weigh it')
def weigh(context):
    pass

@step('all is {word}')
def fine(context, word):
    pass
"""
THRESHOLD = 32  # files from which the parse pool starts in these tests (see _small_pool)
GENERATED = THRESHOLD + 10  # generated feature files: enough for the pool; f007 is among them
SCENARIOS = 2 * GENERATED + 4  # theirs and the four of SHOP and STOCK
# Enough feature files for the parse pool (THRESHOLD), each with an outline, a Background, ambiguous,
# undefined and keyword-scoped (behave) steps, and repeated texts.
TEMPLATE = """\
Feature: Generated {n}
  Background:
    Given a shop

  Scenario: weigh {n}
    Given a basket of {n}
    When I weigh it
    Then all is well
    And I pay {n} euros
    When the stock holds {n} items

  Scenario Outline: buy {n}
    When I buy <k> <what>
    Then I pay <p> euros
    And a basket of <k>

    Examples:
      | k | what   | p   |
      | 1 | pears  | {n} |
      | 2 | apples | x   |
"""


@pytest.fixture(autouse=True)
def _small_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ParsePool a sync makes starts at THRESHOLD files."""
    monkeypatch.setattr(parse, "PARALLEL_THRESHOLD", THRESHOLD)


def _repo(repo: GitRepo, *, broken: bool = False) -> None:
    repo.write("features/shop.feature", SHOP)
    repo.write("features/stock.feature", STOCK)
    for n in range(GENERATED):
        repo.write(f"features/gen/f{n:03}.feature", TEMPLATE.format(n=n))
    repo.write(STEPS_PATH, STEPS)
    # An ambiguity: "the stock holds {int} items" twice (MORE has it too).
    repo.write(MORE_PATH, MORE + "Then('the stock holds {int} items', function again(n) {});\n")
    repo.write("features/steps/basket.py", BEHAVE)
    if broken:
        repo.write("features/step_definitions/broken.js", "const { Given } = require('@cucumber/cucumber');\n"
                                                          "Given(`a ${shop}`, function broken() {});\n")
    repo.commit("corpus")


def _cold(repo: GitRepo, url: str, project: str, jobs: int, ref: str | None = None
          ) -> tuple[dict[str, Any], list[str]]:
    result = sync(repo.path, database_url=url, project=project, jobs=jobs, ref=ref)
    engine = db.make_engine(url)
    try:
        return _dump(engine, project), sorted(str(w.as_dict()) for w in result.warnings)
    finally:
        engine.dispose()


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many scenarios each refresh took from the workers' matching."""
    used: list[int] = []
    real = links_module.prematched

    def spy(results: Any, key: str) -> Any:
        out = real(results, key)
        used.append(len(out or {}))
        return out

    monkeypatch.setattr(links_module, "prematched", spy)
    return used


def _eager_spy(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bool, int] | None]:
    """Per refresh: (every scenario's rows written while the features parsed, how many scenarios), or None when no
    eager rows came (tracertm.steps.eager)."""
    seen: list[tuple[bool, int] | None] = []
    real = links_module.refresh

    def spy(*args: Any, eager: Any = None, **kwargs: Any) -> Any:
        seen.append(None if eager is None or eager.digest is None else (eager.complete, len(eager.done)))
        return real(*args, eager=eager, **kwargs)

    monkeypatch.setattr(links_module, "refresh", spy)
    return seen


def test_worker_matching_equals_matching_in_the_parent(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _repo(git_repo)
    used, eager = _spy(monkeypatch), _eager_spy(monkeypatch)
    started: list[int] = []
    real_start = ParsePool._start

    def start(self: ParsePool) -> Any:
        started.append(self.jobs)
        return real_start(self)

    monkeypatch.setattr(ParsePool, "_start", start)
    pool = _cold(git_repo, database_url, "pool", jobs=2)
    assert started == [2]  # the corpus is large enough for the parse pool: the matching ran in the workers
    alone = _cold(git_repo, database_url, "alone", jobs=1)
    assert used == [SCENARIOS] * 2  # every scenario matched in the workers, both times
    # ... and every scenario's rows written while the features parsed (the eager first sync), both times
    assert eager == [(True, SCENARIOS)] * 2
    monkeypatch.setattr(reading, "_steps_first", lambda snapshot, changed: [])
    parent = _cold(git_repo, database_url, "parent", jobs=2)
    assert used[2:] == [0]
    statuses = {m[8] for m in parent[0]["matches"]}
    assert statuses == {"defined", "undefined", "ambiguous"}
    assert pool == parent, _difference(pool[0], parent[0])
    assert alone == parent, _difference(alone[0], parent[0])


def test_a_broken_step_file_falls_back_to_the_parent(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _repo(git_repo, broken=True)
    used = _spy(monkeypatch)
    pool = _cold(git_repo, database_url, "pool", jobs=2)
    assert used == [0]
    monkeypatch.setattr(reading, "_steps_first", lambda snapshot, changed: [])
    assert pool == _cold(git_repo, database_url, "parent", jobs=2)


def test_a_slow_definition_in_a_worker_falls_back_to_the_parent(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracertm.steps import prematch

    _repo(git_repo)
    used = _spy(monkeypatch)
    real = prematch.StepMatcher.__call__

    def slow_too(self: Any, result: Any) -> None:  # as if some definition ran over its budget in this process
        real(self, result)
        found = getattr(result, prematch.ATTRIBUTE, None)
        if found is not None and result.path.endswith("f007.feature"):
            object.__setattr__(result, prematch.ATTRIBUTE, found._replace(slow=True))

    monkeypatch.setattr(prematch.StepMatcher, "__call__", slow_too)
    eager = _eager_spy(monkeypatch)
    pool = _cold(git_repo, database_url, "pool", jobs=1)
    assert used == [0]
    assert eager[0] is not None and not eager[0][0]  # rows written before f007 came are matched again
    monkeypatch.setattr(reading, "_steps_first", lambda snapshot, changed: [])
    assert pool == _cold(git_repo, database_url, "parent", jobs=1)


def test_step_rows_written_while_parsing_go_when_the_eager_rows_are_rolled_back(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two files claim one feature: the eager writer's rows (step matches written already among them) are rolled
    back, the plan is applied and its steps are matched after the parse, as without the eager writer."""
    from specs import feature

    from tracertm.engine import eager as eager_module
    from tracertm.steps.eager import EagerMatches

    _repo(git_repo)
    git_repo.write("features/a-one.feature", feature(1, "One"))
    git_repo.write("features/zz-one.feature", feature(1, "One again"))  # FEAT-1 twice, parsed late
    git_repo.commit("a feature claimed twice")
    monkeypatch.setattr(eager_module, "FLUSH_AT", 5)  # step rows written before the second claim arrives
    forgotten: list[int] = []
    real_forget = EagerMatches.forget

    def forget(self: Any) -> None:
        forgotten.append(len(self.done))
        real_forget(self)

    monkeypatch.setattr(EagerMatches, "forget", forget)
    eager = _eager_spy(monkeypatch)
    pool = _cold(git_repo, database_url, "pool", jobs=2)
    assert len(forgotten) == 1 and forgotten[0] > 0 and eager == [None]
    monkeypatch.setattr(reading, "_steps_first", lambda snapshot, changed: [])
    monkeypatch.setattr(sync_module, "EAGER_FIRST_SYNC", False)
    parent = _cold(git_repo, database_url, "parent", jobs=2)
    assert pool[0]["matches"] and pool == parent, _difference(pool[0], parent[0])


def test_worker_matching_of_a_commit_equals_matching_in_the_parent(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--ref``: the files are read from git and parsed before the write lock (no eager first sync)."""
    _repo(git_repo)
    used = _spy(monkeypatch)
    pool = _cold(git_repo, database_url, "pool", jobs=2, ref="HEAD")
    assert used == [SCENARIOS]
    monkeypatch.setattr(reading, "_steps_first", lambda snapshot, changed: [])
    parent = _cold(git_repo, database_url, "parent", jobs=2, ref="HEAD")
    assert pool == parent, _difference(pool[0], parent[0])


def test_a_failure_while_matching_in_a_worker_is_not_the_files_error(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The feature still syncs (no parse error); the parent matches that file itself."""
    from tracertm.steps import prematch

    _repo(git_repo)
    used = _spy(monkeypatch)
    real = prematch.executed_steps

    def failing(scenario: Any, *args: Any) -> Any:
        if scenario.fields.get("title") in ("weigh 7", "buy 7"):  # f007.feature's two scenarios
            raise RuntimeError("a bug")
        return real(scenario, *args)

    monkeypatch.setattr(prematch, "executed_steps", failing)
    eager = _eager_spy(monkeypatch)
    result = sync(git_repo.path, database_url=database_url, project="pool", jobs=1)
    assert not result.errors
    assert used == [SCENARIOS - 2]  # all but f007's two scenarios
    assert eager == [(False, SCENARIOS - 2)]  # ... whose rows only were left to refresh
    engine = db.make_engine(database_url)
    try:
        pool = _dump(engine, "pool")
    finally:
        engine.dispose()
    monkeypatch.setattr(reading, "_steps_first", lambda snapshot, changed: [])
    assert pool == _cold(git_repo, database_url, "parent", jobs=1)[0]


def test_a_dry_run_matches_no_steps_in_the_workers(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dry run writes no step links: its parse gets no matcher (the workers would match every step for nothing)."""
    from tracertm.steps import prematch

    _repo(git_repo)

    def never(*args: Any) -> Any:
        raise AssertionError("a dry run matched steps")

    monkeypatch.setattr(prematch, "matcher", never)
    result = sync(git_repo.path, database_url=database_url, project="dry", jobs=2, dry_run=True)
    assert not result.errors and result.counts["scenario"]["created"] == SCENARIOS


def test_a_worker_that_compiles_on_first_use_matches_as_the_parent(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parse workers that do not inherit a compiled index (a pool that spawns them) compile each pattern when the
    index first offers it: the same rows as matching in the parent. Here the parse runs in this process, with no
    index compiled before it, as in a spawned worker."""
    import multiprocessing

    from tracertm.steps import prematch

    _repo(git_repo)
    used = _spy(monkeypatch)
    monkeypatch.setattr(multiprocessing, "get_start_method", lambda *args, **kwargs: "spawn")
    prematch._CACHE.clear()
    lazy = []
    real = prematch.StepMatcher._index

    def spy(self: Any, lazy_: bool = True) -> Any:
        lazy.append(lazy_)
        return real(self, lazy_)

    monkeypatch.setattr(prematch.StepMatcher, "_index", spy)
    pool = _cold(git_repo, database_url, "pool", jobs=1)
    assert used == [SCENARIOS] and lazy and all(lazy)
    monkeypatch.setattr(reading, "_steps_first", lambda snapshot, changed: [])
    parent = _cold(git_repo, database_url, "parent", jobs=1)
    assert pool == parent, _difference(pool[0], parent[0])


def test_match_steps_gives_the_rows_of_match_uses() -> None:
    """The workers' row builder (``match_steps`` over ``executed_steps``) gives every scenario the rows, first lines
    and verdict counts of ``match_uses`` over ``scenario_uses`` (what the parent runs): outlines, Backgrounds,
    ambiguous, undefined and keyword-scoped steps."""
    from tracertm.engine.parse import parse_one
    from tracertm.parsers.records import ParserOptions
    from tracertm.steps import prematch
    from tracertm.steps.scenarios import _keyword_types, executed_steps, scenario_uses

    options = ParserOptions()
    step_files = {path: parse_one(path, "step_definition", text.encode(), options)
                  for path, text in ((STEPS_PATH, STEPS), ("features/steps/basket.py", BEHAVE),
                                     (MORE_PATH, MORE + "Then('the stock holds {int} items', function again(n) {});\n"))}
    found = prematch.matcher(step_files, "spawn")  # compiled on first use, below
    assert found is not None
    index, _ = found._index()
    features = [("features/shop.feature", SHOP), ("features/stock.feature", STOCK)]
    features += [(f"features/gen/f{n}.feature", TEMPLATE.format(n=n)) for n in range(3)]
    old_verdicts: dict[Any, Any] = {}
    new_verdicts: dict[Any, Any] = {}
    old_statuses: dict[str, int] = {}
    new_statuses: dict[str, int] = {}
    rows = 0
    for path, text in features:
        result = parse_one(path, "feature", text.encode(), options)
        for feature in result.records:  # type: ignore[union-attr]
            types = _keyword_types(str(feature.fields.get("feature_metadata", {}).get("language") or "en"))
            for scenario in feature.children:
                old = prematch.match_uses(scenario_uses(path, scenario, types), index, None, old_verdicts,
                                          old_statuses)
                new = prematch.match_steps(executed_steps(scenario, types), index, new_verdicts, new_statuses)
                assert new == old, (path, scenario.number)
                rows += len(new[0])
    assert old_statuses == new_statuses
    assert set(new_statuses) == {"defined", "undefined", "ambiguous"} and rows >= 40


def test_step_files_are_consumed_once_the_feature_parse_has_started(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before the feature parse's workers start, sync's own process works alone (it parses the step files and
    compiles their definitions for the workers): what it can do later, consuming the step files' outcomes (the
    eager writer writes their records), waits until the workers parse, and comes before any feature outcome."""
    from tracertm.engine import eager
    from tracertm.engine.parse import ParsePool

    _repo(git_repo)
    events: list[str] = []
    real_start, real_consume = ParsePool._start, eager.EagerWriter.consume

    def start(self: ParsePool) -> Any:
        events.append("workers")
        return real_start(self)

    def consume(self: Any, path: str, outcome: Any) -> None:
        events.append(path)
        real_consume(self, path, outcome)

    monkeypatch.setattr(ParsePool, "_start", start)
    monkeypatch.setattr(eager.EagerWriter, "consume", consume)
    result = sync(git_repo.path, database_url=database_url, project="held", jobs=2)
    assert not result.errors and result.counts["step_definition"]["created"] >= 5
    steps = [STEPS_PATH, MORE_PATH, "features/steps/basket.py"]
    first_feature = next(i for i, e in enumerate(events) if e.endswith(".feature"))
    assert events.index("workers") < min(events.index(p) for p in steps)
    assert max(events.index(p) for p in steps) < first_feature
    assert sorted(events[events.index("workers") + 1 : first_feature]) == sorted(steps)
