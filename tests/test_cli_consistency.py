"""Small inconsistencies of the command line: ``list`` took the singular of four kinds but not of
``step-definitions`` and ``test-cases``; a verb's option written before the verb (``tracertm --format json status``)
was "invalid choice: 'json'"; revoking a token revoked already said "revoked" again, as if this call had;
``hook install --no-check`` with no ``--sync-on`` installed nothing, without a word."""

from __future__ import annotations

import json

import pytest
from sample import sync_sample

from conftest import GitRepo, run_cli
from test_cli_options_more import _cli, _one_line
from tracertm.cli.records import KIND_WORDS

PLURALS = ("adrs", "contracts", "features", "scenarios", "step-definitions", "test-cases")


def test_list_kind_words_are_what_the_query_layer_reads() -> None:
    """Every kind, plural and singular; each word one the query layer reads as that kind."""
    from tracertm.repositories import kind
    from tracertm.repositories.kinds import KINDS

    assert set(KIND_WORDS) == {word for k in KINDS.values() for word in (k.plural, k.name.replace("_", "-"))}
    for word in KIND_WORDS:
        assert kind(word).plural in PLURALS


def test_list_takes_every_singular_as_its_plural(
    git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sync_sample(git_repo, database_url)
    url = ["--database-url", database_url, "--project", "sample"]
    for plural in PLURALS:
        singular = plural.removesuffix("s")
        code, many, err = _cli(capsys, "list", plural, "--format", "json", *url)
        assert code == 0, err
        code, one, err = _cli(capsys, "list", singular, "--format", "json", *url)
        assert code == 0, f"list {singular}: {err}"
        assert json.loads(one) == json.loads(many)
    code, _, err = _cli(capsys, "list", "step-definitionz", *url)
    assert code == 2 and "invalid choice: 'step-definitionz'" in _one_line(err)


@pytest.mark.parametrize(("argv", "line"), [
    (["--format", "json", "status"],
     "tracertm: error: --format: a command's options go after it ('status'): tracertm status --format json "
     "(see 'tracertm status --help')"),
    (["--format=json", "list", "adrs", "--limit", "2"],
     "tracertm: error: --format: a command's options go after it ('list'): tracertm list --format=json adrs "
     "--limit 2 (see 'tracertm list --help')"),
    (["--database-url", "postgresql://u:secret@h/db", "list", "adrs"],
     "tracertm: error: --database-url: a command's options go after it ('list'): tracertm list --database-url "
     "postgresql://u:***@h/db adrs (see 'tracertm list --help')"),
    (["--format", "json"],
     "tracertm: error: --format: not an option of tracertm itself; a command's options go after the command: "
     "tracertm COMMAND --format ... (see 'tracertm --help')"),
])
def test_an_option_before_the_verb_says_where_it_goes(
    argv: list[str], line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _cli(capsys, *argv)
    assert (code, out) == (2, "")
    assert _one_line(err) == line


def test_options_of_tracertm_itself_still_go_before_the_verb(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(capsys, "--traceback", "schema", "adr")
    assert code == 0 and json.loads(out)
    code, out, _ = _cli(capsys, "--traceback", "schema", "adr", "--format", "json")
    assert code == 2, "an option after the verb that it does not take is the verb's own error"


def test_revoking_a_revoked_token_says_so(database_url: str) -> None:
    url = ["--database-url", database_url]
    created = run_cli("token", "create", "--scope", "read", *url)
    assert created.returncode == 0, created.stderr
    token_id = created.stdout.split("(id ")[1].split(")")[0]
    first = run_cli("token", "revoke", token_id, *url)
    assert first.returncode == 0 and first.stdout.startswith("revoked "), first.stderr
    revoked_at = json.loads(run_cli("token", "list", "--format", "json", *url).stdout)[0]["revoked_at"]

    again = run_cli("token", "revoke", token_id, *url)

    assert again.returncode == 0, again.stderr
    assert again.stderr == ""
    assert again.stdout.startswith("trtm_") and f"({token_id}) was already revoked, at " in again.stdout
    assert again.stdout.rstrip().endswith("; nothing changed"), again.stdout
    assert json.loads(run_cli("token", "list", "--format", "json", *url).stdout)[0]["revoked_at"] == revoked_at


def test_hook_install_no_check_alone_is_a_usage_error(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.write("docs/adr/0001-a.md", "# 1. A\n")
    git_repo.commit("seed")
    hooks = git_repo.path / ".git" / "hooks"
    assert _cli(capsys, "hook", "install", str(git_repo.path))[0] == 0
    before = {p.name: p.read_bytes() for p in hooks.iterdir()}

    code, out, err = _cli(capsys, "hook", "install", str(git_repo.path), "--no-check")

    assert (code, out) == (2, "")
    assert _one_line(err) == (
        "tracertm: error: --no-check: with no --sync-on there is no hook left to install; add --sync-on STAGES "
        "(e.g. all), or run 'tracertm hook uninstall' to remove tracertm's hooks")
    assert {p.name: p.read_bytes() for p in hooks.iterdir()} == before
    code, out, _ = _cli(capsys, "hook", "install", str(git_repo.path), "--no-check", "--sync-on", "post-commit")
    assert code == 0 and "pre-commit: removed" in out and "post-commit: installed" in out


@pytest.mark.parametrize(("argv", "hinted"), [
    (["search"], False),
    (["search", "--kind", "adr", "--limit", "5"], False),
    (["search", "-draft"], True),
    (["list", "adrs", "--sort"], False),
    (["list", "adrs", "--sort", "-status"], True),
])
def test_a_hint_only_where_the_command_line_has_what_it_is_about(
    argv: list[str], hinted: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    """"a query that starts with '-' goes after '--'" was added to every search with no query, and "a descending
    sort is joined with '='" to every --sort with no value: a '-' word the user never wrote."""
    code, out, err = _cli(capsys, *argv)
    line = _one_line(err)
    assert (code, out) == (2, "")
    assert (("goes after '--'" in line) or ("joined with '='" in line)) is hinted, line
