"""``tracertm check``: whole-repository validation, the ``--staged`` hook mode (changed files only, cheap
cross-file sketches, the blob-id cache), output formats against golden files, exit codes, and start-up discipline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SAMPLE_REPO, GitRepo
from specs import adr, contract, feature
from tracertm.checker import CACHE_NAME, check, sketch_result, sketch_text
from tracertm.cli import main
from tracertm.config import load_settings
from tracertm.parsers import parse

GOLDEN = Path(__file__).parent / "golden"
FIXTURES = Path(__file__).parent / "parsers" / "fixtures"


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8"), f"differs from {path} (UPDATE_GOLDEN=1 rewrites it)"


def _seed(repo: GitRepo) -> None:
    repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    repo.write("docs/adr/0002-use-postgres.md", adr(2, "Use PostgreSQL", extra="\nRelated to ADR-0001\n"))
    repo.write("contracts/payments.yaml", contract(1, "Payments"))
    repo.write("features/login.feature", "@ADR-2\n" + feature(1, "Login"))
    repo.commit("seed")


def _broken(repo: GitRepo) -> None:
    """One of every error kind: a parse error, a duplicate id, dangling ADR references of all three fields."""
    repo.write("features/broken.feature", "@FEAT-7\nFeature: Broken\n  Scenario: no steps\n    Given a\n  Oops\n")
    repo.write("features/copy.feature", "@ADR-9\n" + feature(1, "Login again"))
    repo.write("contracts/payments-v2.yaml", contract(1, "Payments again"))
    repo.write(
        "docs/adr/0003-use-kafka.md",
        adr(3, "Use Kafka", extra="\nSupersedes [5. Queues](0005-queues.md)\n\nSee also ADR-0042.\n"),
    )


# ------------------------------------------------------------------------------------------ whole repository


def test_clean_repository_exits_0(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    _seed(git_repo)
    code, out, err = _cli(capsys, "check", str(git_repo.path))
    assert (code, out) == (0, "")
    assert err.strip() == "4 files checked, 4 parsed: 0 errors, 0 warnings"
    code, out, _ = _cli(capsys, "check", str(git_repo.path), "--format", "json")
    assert code == 0
    _golden("check-clean.json", out)


def test_every_error_kind_text_github_json_golden(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    _seed(git_repo)
    _broken(git_repo)
    code, text, err = _cli(capsys, "check", str(git_repo.path))
    assert code == 1
    assert "8 files checked, 8 parsed: 6 errors" in err
    _golden("check-errors.txt", text)
    code, github, _ = _cli(capsys, "check", str(git_repo.path), "--format", "github")
    assert code == 1
    _golden("check-errors.github", github)
    code, payload, _ = _cli(capsys, "check", str(git_repo.path), "--format", "json")
    assert code == 1
    _golden("check-errors.json", payload)
    assert json.loads(payload)["ok"] is False


def test_github_annotations_escape_and_use_repository_paths(git_repo: GitRepo, capsys) -> None:  # type: ignore[no-untyped-def]
    git_repo.write("project a/features/x,y.feature", "@FEAT-1\nFeature: X\n  Scenario: s\n    Given a\n  Oops\n")
    git_repo.commit("monorepo project")
    code, out, _ = _cli(capsys, "check", str(git_repo.path / "project a"), "--format", "github")
    assert code == 1
    assert out.startswith("::error file=project a/features/x%2Cy.feature,line=5,col=")
    code, out, _ = _cli(capsys, "check", str(git_repo.path / "project a"))
    assert out.startswith("features/x,y.feature:5:"), "text output keeps spec-root-relative paths"


def test_warnings_and_strict(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    _seed(git_repo)
    git_repo.write("docs/adr/0003-maybe.md", adr(3, "Maybe", status="On hold"))
    code, out, _ = _cli(capsys, "check", str(git_repo.path), "--format", "github")
    assert code == 0 and out.startswith("::warning file=docs/adr/0003-maybe.md,line=")
    assert _cli(capsys, "check", str(git_repo.path), "--strict")[0] == 1


def test_usage_errors_exit_2(git_repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _seed(git_repo)
    plain = tmp_path / "plain"
    plain.mkdir()
    for argv in (
        ["check", str(git_repo.path), "--ref", "nope"],
        ["check", str(plain), "--staged"],
        ["check", str(git_repo.path), "--ref", "HEAD", "--staged"],
    ):
        code, _, err = _cli(capsys, *argv)
        assert code == 2 and len(err.strip().splitlines()) == 1, (argv, err)


def test_drift_check_exit_codes(git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """CI's drift check: ``sync --ref REF --dry-run --exit-code`` is 1 while the database is behind REF."""
    _seed(git_repo)
    drift = ["sync", str(git_repo.path), "--ref", "main", "--database-url", database_url, "--dry-run", "--exit-code"]
    code, out, _ = _cli(capsys, *drift)
    assert code == 1 and "created   adr" in out
    assert _cli(capsys, "sync", str(git_repo.path), "--ref", "main", "--database-url", database_url)[0] == 0
    assert _cli(capsys, *drift)[0] == 0
    code, out, _ = _cli(capsys, *drift, "--format", "json")
    assert code == 0 and json.loads(out)["operations"] == []
    git_repo.write("docs/adr/0002-use-postgres.md", adr(2, "Use PostgreSQL", status="Deprecated"))
    git_repo.commit("deprecate")
    code, out, _ = _cli(capsys, *drift, "--format", "json")
    assert code == 1 and [op["action"] for op in json.loads(out)["operations"]] == ["updated"]


# ------------------------------------------------------------------------------------------- --staged (hook)


def test_staged_reports_only_what_the_commit_changes(git_repo: GitRepo, capsys) -> None:  # type: ignore[no-untyped-def]
    _seed(git_repo)
    _broken(git_repo)
    git_repo.commit("broken things, committed with --no-verify")
    repo = str(git_repo.path)
    assert _cli(capsys, "check", repo, "--staged")[0] == 0, "committed errors are not re-reported"
    assert _cli(capsys, "check", repo, "--staged", "--all")[0] == 1
    assert _cli(capsys, "check", repo)[0] == 1, "check without --staged checks everything"

    git_repo.write("features/new.feature", "@ADR-3\n@ADR-77\n" + feature(8, "New"))
    git_repo.git("add", "features/new.feature")
    code, out, err = _cli(capsys, "check", repo, "--staged")
    assert code == 1
    assert out.splitlines() == [
        # the line of the @ADR-77 tag (findings about a reference point at it)
        "features/new.feature:2:1: tag refers to ADR-0077, which is not an ADR of this repository; fix the id or add the ADR"
    ]
    assert "1 parsed" in err


def test_staged_duplicate_of_an_unchanged_file(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    _seed(git_repo)
    # The new file sorts *before* the one it collides with: the error still goes to the file being committed.
    git_repo.write("contracts/a-payments.yaml", contract(1, "Payments, again"))
    git_repo.git("add", "-A")
    code, out, _ = _cli(capsys, "check", str(git_repo.path), "--staged")
    assert code == 1
    assert out.startswith(
        "contracts/a-payments.yaml:1:1: contract CTR-0001 is already defined in contracts/payments.yaml"
    )


def test_partially_staged_file_is_judged_by_its_staged_content(git_repo: GitRepo, capsys) -> None:  # type: ignore[no-untyped-def]
    _seed(git_repo)
    repo = str(git_repo.path)
    git_repo.write("features/login.feature", "@ADR-2\n" + feature(1, "Login") + "  Oops\n")
    git_repo.git("add", "features/login.feature")
    git_repo.write("features/login.feature", "@ADR-2\n" + feature(1, "Login, fixed"))  # fixed, but not staged
    code, out, _ = _cli(capsys, "check", repo, "--staged")
    assert code == 1 and out.startswith("features/login.feature:")
    assert _cli(capsys, "check", repo)[0] == 0, "the work tree is fine"
    git_repo.git("add", "features/login.feature")
    git_repo.write("features/login.feature", "broken again, unstaged\n")
    assert _cli(capsys, "check", repo, "--staged")[0] == 0


def test_removing_an_adr_flags_the_unchanged_files_that_refer_to_it(git_repo: GitRepo, capsys) -> None:  # type: ignore[no-untyped-def]
    _seed(git_repo)
    repo = str(git_repo.path)
    git_repo.git("rm", "-q", "docs/adr/0002-use-postgres.md")
    for cache in ("cold", "warm"):
        if cache == "cold":
            (git_repo.path / ".git" / CACHE_NAME).unlink(missing_ok=True)
        code, out, _ = _cli(capsys, "check", repo, "--staged")
        assert code == 1, cache
        assert out.splitlines() == [
            "features/login.feature:1:1: tag refers to ADR-0002, which is not an ADR of this repository; "
            "fix the id or add the ADR"
        ], cache
    # Renumbering instead of deleting: the same.
    git_repo.git("reset", "-q", "--hard")
    git_repo.git("mv", "docs/adr/0002-use-postgres.md", "docs/adr/0012-use-postgres.md")
    code, out, _ = _cli(capsys, "check", repo, "--staged")
    assert code == 1 and "features/login.feature:1:1: tag refers to ADR-0002" in out  # the @ADR-2 tag's line


def test_approximate_sketches_never_cause_an_error_on_their_own(git_repo: GitRepo, capsys) -> None:  # type: ignore[no-untyped-def]
    """A committed-broken contract *looks* like it claims CTR-0005 to the regex sketch; it claims nothing."""
    _seed(git_repo)
    git_repo.write(
        "contracts/legacy.yaml", "id: CTR-0005\ntitle: Legacy\nstates: [a, b]\ntransitions: [{from: a, to: z}]\n"
    )
    git_repo.commit("broken legacy contract")
    (git_repo.path / ".git" / CACHE_NAME).unlink(missing_ok=True)
    git_repo.write("contracts/new.yaml", contract(5, "New"))
    git_repo.git("add", "-A")
    code, out, _ = _cli(capsys, "check", str(git_repo.path), "--staged")
    assert (code, out) == (0, "")


def _unmerged_adr(repo: GitRepo) -> None:
    """ADR-0002's decision edited on two branches, merged: the merge stops, the file holds conflict markers."""
    path = "docs/adr/0002-use-postgres.md"
    repo.git("checkout", "-q", "-b", "side")
    repo.write(path, adr(2, "Use PostgreSQL", decision="Use 15."))
    repo.commit("theirs")
    repo.git("checkout", "-q", "-")
    repo.write(path, adr(2, "Use PostgreSQL", decision="Use 16."))
    repo.commit("ours")
    merge = subprocess.run(["git", "merge", "-q", "side"], cwd=repo.path, capture_output=True, check=False)
    assert merge.returncode != 0 and "<<<<<<<" in repo.read(path)


@pytest.mark.parametrize("damage", ["not UTF-8", "merge conflict"])
def test_an_adr_that_does_not_parse_is_still_an_adr_to_the_files_that_refer_to_it(
    git_repo: GitRepo, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    """A broken ADR keeps its records in a sync: its own error is the finding, not the references to the id its
    name (or front matter) declares — the feature's ``@ADR-2``, a new feature's ``@ADR-2`` and ``@ADR-42`` — in
    every mode, with the cache warm or cold; ``@ADR-9`` is still an error."""
    _seed(git_repo)
    git_repo.write("docs/adr/use-kafka.md", "---\nid: ADR-0042\n---\n" + adr(3, "Use Kafka"))
    git_repo.commit("kafka")
    repo, cache = str(git_repo.path), git_repo.path / ".git" / CACHE_NAME
    if damage == "not UTF-8":
        for path in ("docs/adr/0002-use-postgres.md", "docs/adr/use-kafka.md"):
            git_repo.write(path, git_repo.read(path).encode() + b"\xff\n")
        git_repo.git("add", "-A")
    else:
        _unmerged_adr(git_repo)

    def references(*argv: str) -> list[str]:
        code, out, _ = _cli(capsys, "check", repo, *argv)
        assert code == 1 and (damage in out or "invalid UTF-8" in out), out
        return [line for line in out.splitlines() if " refers to " in line]

    assert references() == []
    assert references("--staged", "--all") == []
    assert references("--staged") == [], "the commit takes no ADR away"
    if damage == "not UTF-8":
        git_repo.commit("broken ADRs, committed with --no-verify")
        assert references("--ref", "HEAD") == []
    git_repo.write("features/new.feature", "@ADR-2 @ADR-9 @ADR-42\n" + feature(8, "New"))
    git_repo.git("add", "features/new.feature")
    for warmth in ("warm", "cold"):
        if warmth == "cold":
            cache.unlink(missing_ok=True)
        found = check(git_repo.path, staged=True).errors
        assert [(d.path, d.column, d.message.split(",")[0]) for d in found if " refers to " in d.message] == [
            ("features/new.feature", 8, "tag refers to ADR-0009")
        ], warmth


def test_nothing_staged_under_spec_folders_reads_nothing(git_repo: GitRepo, capsys) -> None:  # type: ignore[no-untyped-def]
    _seed(git_repo)
    git_repo.write("src/app.py", "print('hi')\n")
    git_repo.git("add", "-A")
    result = check(git_repo.path, staged=True)
    assert result.ok and result.files_parsed == 0 and result.files_checked == 0


def test_first_commit_checks_everything_staged(git_repo: GitRepo) -> None:
    git_repo.write("features/a.feature", feature(1, "A"))
    git_repo.write("features/b.feature", feature(1, "B"))
    git_repo.git("add", "-A")
    result = check(git_repo.path, staged=True)
    assert [d.message.split(";")[0] for d in result.errors] == [
        "feature FEAT-1 is already defined in features/a.feature"
    ]


# ------------------------------------------------------------------------------------------------ the cache


def test_cache_is_exact_after_a_full_check_and_ignored_when_corrupt(git_repo: GitRepo) -> None:
    _seed(git_repo)
    cache = git_repo.path / ".git" / CACHE_NAME
    check(git_repo.path, cache=False)
    assert not cache.exists()
    check(git_repo.path)
    files = _cached_files(git_repo)
    assert sorted(files) == [
        "contracts/payments.yaml",
        "docs/adr/0001-use-git.md",
        "docs/adr/0002-use-postgres.md",
        "features/login.feature",
    ]
    assert all(entry.split("\n")[0].endswith("\t1") for entry in files.values()), "a full check stores exact sketches"
    assert files["features/login.feature"].split("\n")[1:] == ["FEAT-1\t3\ttag\tADR-0002\t1\t1"]  # line 1, column 1

    intact = cache.read_bytes()
    for damaged in (b"{not json", intact[:-7], intact[:12] + b"x" + intact[13:], b""):
        cache.write_bytes(damaged)
        git_repo.git("rm", "-q", "--cached", "docs/adr/0002-use-postgres.md")
        assert not check(git_repo.path, staged=True).ok, "a damaged cache is ignored: the check sketches the blobs"
        assert "docs/adr/0002-use-postgres.md" not in _cached_files(git_repo), "rewritten, pruned"
        git_repo.git("add", "docs/adr/0002-use-postgres.md")
    # An earlier tracertm's JSON cache is removed when the cache is written.
    legacy = git_repo.path / ".git" / "tracertm-check-cache.json"
    legacy.write_text("{}")
    git_repo.git("rm", "-q", "--cached", "docs/adr/0002-use-postgres.md")
    check(git_repo.path, staged=True)
    assert legacy.exists(), "the cache was already up to date: not written"
    git_repo.write("features/login.feature", git_repo.read("features/login.feature") + "\n")
    git_repo.git("add", "features/login.feature")
    check(git_repo.path, staged=True)
    assert not legacy.exists() and cache.exists()


def _cached_files(git_repo: GitRepo) -> dict[str, str]:
    """Root-relative path → encoded sketch, as the cache holds them."""
    from tracertm.check_cache import CheckCache
    from tracertm.check_cache import locate_cache
    from tracertm.engine.scan import Location

    cache = locate_cache(Location.find(git_repo.path), load_settings(git_repo.path))
    assert isinstance(cache, CheckCache) and cache.keys, "the cache loads"
    return {key.partition("\t")[2]: text for key, text in zip(cache.keys, cache.texts)}


def test_claims_index_stays_exact_across_commits(git_repo: GitRepo) -> None:
    """The cache's identity index is updated, never rebuilt, by hook runs: after any sequence of changes it must
    equal the index rebuilt from scratch, and hook verdicts must not depend on how warm the cache is."""
    from tracertm.check_cache import Claims
    from tracertm.check_cache import locate_cache
    from tracertm.engine.scan import Location

    def rebuilt() -> dict[str, list[str]]:
        claims = Claims()
        for line in git_repo.git("ls-files", "-s").splitlines():
            meta, path = line.split("\t")
            kind = settings.kind_of(path)
            if kind is not None:
                data = git_repo.git("cat-file", "-p", meta.split()[1]).encode() + b"\n"
                try:
                    claims.add(path, sketch_result(parse(kind, path, data, settings.parser)))
                except Exception:  # noqa: BLE001 - files that do not parse claim nothing
                    pass
        return {k: sorted(v) for k, v in claims.owners.items()}

    def cached() -> dict[str, list[str]]:
        cache = locate_cache(Location.find(git_repo.path), settings)
        return {k: sorted(v) for k, v in cache.claims.owners.items()}

    _seed(git_repo)
    settings = load_settings(git_repo.path)
    two = "id: CTR-0002\ntitle: Two\nstates: [a, b]\n---\nid: CTR-0003\ntitle: Three\nstates: [a, b]\n"
    steps = [
        lambda: git_repo.write("contracts/two.yaml", two),
        lambda: git_repo.write("docs/adr/0003-x.md", "---\nid: 7\n---\n# Seven\n\n## Status\n\nAccepted\n"),
        lambda: (
            git_repo.write("features/auth/login.feature", git_repo.read("features/login.feature"))
            and git_repo.remove("features/login.feature")
        ),
        lambda: git_repo.write("contracts/two.yaml", two.replace("CTR-0003", "CTR-0004")),
        lambda: git_repo.remove("docs/adr/0001-use-git.md"),
        lambda: git_repo.write("features/extra.feature", "@ADR-7\n" + feature(5, "Extra")),
    ]
    verdicts = []
    for step in steps:
        step()
        git_repo.git("add", "-A")
        warm = check(git_repo.path, staged=True)
        (git_repo.path / ".git" / CACHE_NAME).unlink()
        cold = check(git_repo.path, staged=True)
        assert warm.errors == cold.errors
        verdicts.append(len(warm.errors))
        assert cached() == rebuilt()
        git_repo.commit("step")
        assert cached() == rebuilt(), "still exact once the index became HEAD"
    assert verdicts == [0, 0, 0, 0, 1, 0], "removing ADR-0001 breaks nothing but ADR-0002's 'Related to ADR-0001'"


@pytest.mark.parametrize("root", ["", "project/"])
def test_warm_cache_gives_the_verdicts_of_no_cache_through_links_modes_renames_and_deletions(
    git_repo: GitRepo, root: str
) -> None:
    """Hook mode compares the index listing with the cache as sets of keys. Whatever the change — a mode change
    alone, a link whose target changes, a rename, a deletion, a new duplicate — a warm cache must give exactly the
    findings of no cache at all, and leave the cache as a check from scratch would (same claims)."""
    from tracertm.check_cache import locate_cache
    from tracertm.engine.scan import Location

    spec_root = git_repo.path / root
    git_repo.write(root + "docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.write(root + "docs/adr/0002-use-postgres.md", adr(2, "Use PostgreSQL", extra="\nRelated to ADR-0001\n"))
    git_repo.write(root + "contracts/payments.yaml", contract(1, "Payments"))
    git_repo.write(root + "shared/orders.yaml", contract(2, "Orders"))
    (spec_root / "contracts/orders.yaml").symlink_to("../shared/orders.yaml")
    git_repo.write(root + "features/login.feature", "@ADR-2\n" + feature(1, "Login"))
    git_repo.write("elsewhere/notes.md", "# not a spec of the project\n")
    git_repo.commit("seed")
    check(spec_root)  # the exact cache of the work tree (= HEAD)

    def chmod() -> None:
        (spec_root / "docs/adr/0001-use-git.md").chmod(0o755)

    def relink(target: str) -> None:
        (spec_root / "contracts/orders.yaml").unlink()
        (spec_root / "contracts/orders.yaml").symlink_to(target)

    steps = [
        chmod,  # a mode change alone is no change
        lambda: git_repo.write(root + "shared/orders.yaml", contract(3, "Orders")),  # outside the spec folders
        lambda: (git_repo.write(root + "shared/copy.yaml", contract(1, "Copy")), relink("../shared/copy.yaml")),
        lambda: relink("../shared/orders.yaml"),
        lambda: git_repo.git("mv", root + "features/login.feature", root + "features/sign-in.feature"),
        lambda: git_repo.write(root + "features/extra.feature", "@ADR-7\n" + feature(5, "Extra")),  # dangling
        lambda: git_repo.remove(root + "features/extra.feature"),
        lambda: git_repo.remove(root + "docs/adr/0001-use-git.md"),  # ADR-0002 refers to it
        lambda: git_repo.write(root + "docs/adr/0001-use-git.md", adr(1, "Use git, again")),
    ]
    # What main's checker (the JSON cache, path by path) reported for these steps: the same, verdict for verdict.
    # (A link is followed to its target outside the spec folders, as a check of the work tree follows it.)
    expected = {
        2: [("contracts/orders.yaml", "contract CTR-0001 is already defined in contracts/payments.yaml")],
        5: [("features/extra.feature", "tag refers to ADR-0007")],
        7: [("docs/adr/0002-use-postgres.md", "related_adrs refers to ADR-0001")],
    }
    checked = [0, 5, 5, 5, 5, 6, 5, 4, 5]
    settings = load_settings(spec_root)
    for index, step in enumerate(steps):
        step()
        git_repo.git("add", "-A")
        cache = locate_cache(Location.find(spec_root), settings).path  # (a sub-folder root's has its own name)
        assert cache is not None
        warm = check(spec_root, staged=True)
        warm_claims = locate_cache(Location.find(spec_root), settings).claims.owners
        kept = cache.read_bytes()  # as this hook run left it: the next step starts from it
        cache.unlink()
        cold = check(spec_root, staged=True)
        cold_claims = locate_cache(Location.find(spec_root), settings).claims.owners
        uncached = check(spec_root, staged=True, cache=False)
        assert (warm.errors, warm.warnings) == (cold.errors, cold.warnings) == (uncached.errors, uncached.warnings), index
        assert warm.files_checked == cold.files_checked == uncached.files_checked, index
        if cache.exists():  # (a change the check has nothing to read for leaves no cache behind)
            assert {k: sorted(v) for k, v in warm_claims.items()} == {k: sorted(v) for k, v in cold_claims.items()}
        cache.write_bytes(kept)
        assert [(e.path, e.message.split(";")[0].split(",")[0]) for e in warm.errors] == expected.get(index, []), index
        assert warm.files_checked == checked[index], index
        git_repo.commit(f"step {index}")


def test_an_oversized_cache_is_not_read(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    from tracertm import check_cache

    _seed(git_repo)
    check(git_repo.path)
    assert _cached_files(git_repo)
    monkeypatch.setattr(check_cache, "MAX_BYTES", 16)
    with pytest.raises(AssertionError, match="the cache loads"):
        _cached_files(git_repo)
    git_repo.git("rm", "-q", "--cached", "docs/adr/0001-use-git.md")
    result = check(git_repo.path, staged=True)
    assert [e.path for e in result.errors] == ["docs/adr/0002-use-postgres.md"], "judged without the cache"


def test_files_that_are_not_specs_are_classified_once(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    """The default step globs (``**/conftest.py``) make the hook list the whole index: its code files are
    classified on the first hook run and remembered (by index entry), not classified again on every commit."""
    from tracertm.config import Settings

    _seed(git_repo)
    for n in range(30):
        git_repo.write(f"src/app/module{n}.py", f"VALUE = {n}\n")
    git_repo.commit("code")
    check(git_repo.path)
    for title in ("Log in", "Sign in"):
        git_repo.write("features/login.feature", "@ADR-2\n" + feature(1, title))
        git_repo.git("add", "-A")
        if title == "Log in":
            assert check(git_repo.path, staged=True).ok  # classifies the code once
            continue
        asked: list[str] = []
        classify = Settings.kind_of
        monkeypatch.setattr(Settings, "kind_of", lambda self, path: asked.append(path) or classify(self, path))
        assert check(git_repo.path, staged=True).ok
        assert [p for p in asked if p.startswith("src/")] == []
    git_repo.write("src/app/module1.py", "VALUE = 'changed'\n")  # a changed code file: its path is known
    git_repo.write("src/app/new.py", "VALUE = 'new'\n")  # a new one: classified, once
    git_repo.git("add", "-A")
    asked.clear()
    assert check(git_repo.path, staged=True).ok
    assert [p for p in asked if p.startswith("src/")] == ["src/app/new.py"]


def test_cache_is_written_only_when_it_changes(git_repo: GitRepo) -> None:
    _seed(git_repo)
    check(git_repo.path)
    git_repo.write("features/login.feature", "@ADR-2\n" + feature(1, "Log in"))
    git_repo.git("add", "-A")
    cache = git_repo.path / ".git" / CACHE_NAME
    check(git_repo.path, staged=True)
    written = cache.stat()
    for _ in range(2):
        assert check(git_repo.path, staged=True).ok
        assert (cache.stat().st_ino, cache.stat().st_mtime_ns) == (written.st_ino, written.st_mtime_ns)


def test_sketches_agree_with_the_parsers() -> None:
    """The regex sketch finds the parsers' identities for every real-world fixture, and a superset of the ADR
    references (so that confirming by a parse can only remove suspects, never miss one)."""
    options = load_settings(SAMPLE_REPO).parser
    checked = 0
    for root in (SAMPLE_REPO, FIXTURES):
        for file in sorted(root.rglob("*")):
            rel = file.relative_to(root).as_posix()
            kind = {".md": "adr", ".yaml": "contract", ".yml": "contract", ".feature": "feature"}.get(file.suffix)
            if kind is None or file.name.lower() == "readme.md":
                continue
            if root == FIXTURES:
                rel = {"adr": "docs/adr/", "contract": "contracts/", "feature": "features/"}[kind] + file.name
            data = file.read_bytes()
            try:
                exact = sketch_result(parse(kind, rel, data, options))  # type: ignore[arg-type]
            except Exception:  # noqa: BLE001 - fixtures that are meant to fail
                continue
            rough = sketch_text(rel, kind, data, options)  # type: ignore[arg-type]
            assert [r.number for r in rough.records] == [r.number for r in exact.records], rel
            for r_exact, r_rough in zip(exact.records, rough.records):
                assert {t for _, t in r_exact.refs} <= {t for _, t in r_rough.refs}, rel
            checked += 1
    assert checked >= 30


# ------------------------------------------------------------------------------------------ start-up discipline


def test_check_staged_never_imports_sqlalchemy(git_repo: GitRepo) -> None:
    _seed(git_repo)
    git_repo.write("features/new.feature", "@ADR-1\n" + feature(2, "New"))
    git_repo.write("docs/adr/0003-x.md", adr(3, "X"))
    git_repo.write("contracts/x.yaml", contract(3, "X"))
    git_repo.git("add", "-A")
    probe = (
        "import sys\nfrom tracertm.cli import main\n"
        "code = main(['check', '--staged'])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'alembic', 'git', 'psycopg'))\n"
        "print(code, heavy, 'concurrent.futures.process' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=git_repo.path, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0 [] False", out.stdout + out.stderr
    timing = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "tracertm", "check", "--staged"],
        cwd=git_repo.path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert timing.returncode == 0, timing.stderr
    imported = {line.split("|")[-1].strip() for line in timing.stderr.splitlines() if line.startswith("import time:")}
    assert "tracertm.checker" in imported and not {m for m in imported if m.startswith("sqlalchemy")}


def test_hook_process_flushes_its_output_and_exit_code_before_its_fast_exit(git_repo: GitRepo) -> None:
    """``check --staged`` ends its process without interpreter teardown (tracertm.cli.run): everything it printed,
    to a pipe (fully buffered), still arrives, and its exit code is the verdict's."""
    _seed(git_repo)
    for n in range(3, 60):
        git_repo.write(f"features/f{n}.feature", f"@ADR-{n + 100}\n" + feature(n, f"Feature {n}"))
    git_repo.git("add", "-A")
    for fmt in ("text", "json"):
        proc = subprocess.run(
            [sys.executable, "-m", "tracertm", "check", "--staged", "--format", fmt],
            cwd=git_repo.path, capture_output=True, text=True, check=False, timeout=120,
        )
        assert proc.returncode == 1, proc.stderr
        if fmt == "json":
            assert len(json.loads(proc.stdout)["errors"]) == 57
        else:
            assert len(proc.stdout.splitlines()) == 57 and "57 errors" in proc.stderr
