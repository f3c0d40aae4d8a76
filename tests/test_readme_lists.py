"""README.md's lists of verbs, options and API operations are the program's: every verb ``tracertm --help`` lists
(and every action of ``db``, ``hook``, ``token``, ``results``) has a row in the Commands table, every option of a
verb is written in one of its synopses (or in the Commands section's sentence naming the options many verbs share),
every option a synopsis or example writes is one the verb takes, and the two API tables name exactly the operations
of ``/openapi.json``. A verb, option or route added without its README line fails here, as does a README line naming
one the program does not have."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tracertm.cli import build_parser

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
KINDS = ("adrs", "contracts", "features", "scenarios", "step-definitions", "test-cases")
OPERATION = re.compile(r"^(GET|HEAD|POST|PUT|PATCH|DELETE) (/\S*)")


def _section(heading: str) -> str:
    """The text of the README section under ``heading`` (a whole heading line), up to the next heading of any level."""
    start = README.index(f"\n{heading}\n") + len(heading) + 2
    following = re.search(r"^#{1,6} ", README[start:], re.M)
    return README[start:start + following.start()] if following else README[start:]


def _first_cells(section: str, header: str) -> list[str]:
    """The first cell of each row of the table under the line ``header`` in ``section``."""
    lines = section[section.index(header):].splitlines()[2:]  # past the header and its |---| line
    rows = [line for line in lines[:next((i for i, line in enumerate(lines) if not line.startswith("|")), None)]]
    return [re.split(r"(?<!\\)\|", row)[1] for row in rows]


def _spans(text: str) -> list[str]:
    return [span.replace("\\|", "|") for span in re.findall(r"`([^`\n]+)`", text)]


def _verbs(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...],
                                                                                         argparse.ArgumentParser]]:
    """Every verb path (``("sync",)``, ``("results", "import")``) and its parser: the leaves of the command tree."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _verbs(sub, path + (name,))
            return
    yield path, parser


PARSERS = dict(_verbs(build_parser()))
GROUPS = {path[0] for path in PARSERS if len(path) > 1}


def _verb_path(words: list[str]) -> tuple[str, ...] | None:
    """The verb a command line's words (after ``tracertm``) run, or None when they name none."""
    if not words or (words[0],) not in PARSERS and words[0] not in GROUPS:
        return None
    if words[0] in GROUPS:
        return (words[0], words[1]) if len(words) > 1 and (words[0], words[1]) in PARSERS else None
    return (words[0],)


def _synopses() -> Iterator[tuple[tuple[str, ...], str]]:
    """Every command line the README writes, with its verb: code spans starting with ``tracertm`` (or with an action
    of a group, ``token list [--format …]``, as the Commands table writes the others after the first), and the
    lines of code blocks starting with ``tracertm`` or ``$ tracertm`` (with their continuation lines ``[...]``). Cut
    before a pipe, a comment, a redirection and ``--`` (the end of the options)."""
    lines = list(_spans(README))
    for block in re.findall(r"^```[a-z]*\n(.*?)^```", README, re.S | re.M):
        going = False  # a synopsis continued on the next line
        for line in block.splitlines():
            text = line.strip().removeprefix("$ ")
            if text.startswith("tracertm "):
                lines.append(text)
            elif going and text.startswith("["):
                lines[-1] += " " + text
            going = text.startswith(("tracertm ", "["))
    for line in lines:
        words = line.split()
        if not words:
            continue
        if words[0] == "tracertm":
            words = words[1:]
        elif words[0] not in GROUPS:
            continue
        path = _verb_path(words)
        if path is not None:
            yield path, re.split(r" \| (?!-)| #| > |; | -- ", line)[0]  # "[--ref REF | --staged]" is no pipe


def _options(parser: argparse.ArgumentParser) -> list[list[str]]:
    return [action.option_strings for action in parser._actions
            if action.option_strings and action.help != argparse.SUPPRESS and "-h" not in action.option_strings]


def _shared() -> dict[str, set[str]]:
    """The Commands section's sentence on the options many verbs share: the verbs that take each."""
    text = _section("### Commands")
    every = set(GROUPS) | {path[0] for path in PARSERS}
    text = " ".join(text.split())  # the sentences wrap
    finding = re.search(r"the commands that find a project \(([^)]*)\) take `--project NAME` \(most also `--path PATH`\)",
                        text)
    parsing = re.search(r"those that parse \(([^)]*)\) `--jobs N`", text)
    assert "Every command accepts `--traceback`" in text and "`--database-url URL`" in text
    assert finding and parsing, "the Commands section names the verbs that take --project/--path and --jobs"
    projects = {span for span in _spans(finding.group(1))}
    return {"--traceback": every, "--database-url": every, "--project": projects, "--path": projects,
            "--jobs": set(_spans(parsing.group(1)))}


def test_the_commands_table_has_a_row_for_every_verb() -> None:
    written: set[tuple[str, ...]] = set()
    for cell in _first_cells(_section("### Commands"), "| command | what it does |"):
        for span in _spans(cell):
            path = _verb_path(span.removeprefix("tracertm ").split())
            assert path is not None, f"the Commands table names a verb tracertm does not have: {span}"
            written.add(path)
    assert sorted(written) == sorted(PARSERS), "verbs missing from the Commands table: " + ", ".join(
        " ".join(path) for path in sorted(set(PARSERS) - written))


def test_every_option_a_readme_command_line_writes_is_the_verbs() -> None:
    wrong = []
    for path, line in _synopses():
        known = {option for strings in _options(PARSERS[path]) for option in strings} | {"-h", "--help"}
        known |= {option for action in PARSERS[path]._actions for option in action.option_strings}
        wrong += [f"{' '.join(path)}: {option}  ({line})"
                  for option in re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", line) if option not in known]
    assert not wrong, "README command lines with options their verb does not take:\n" + "\n".join(wrong)


def test_every_option_of_every_verb_is_in_the_readme() -> None:
    shared = _shared()
    written: dict[tuple[str, ...], str] = {}
    for path, line in _synopses():
        written[path] = written.get(path, "") + " " + line
    missing = []
    for path, parser in PARSERS.items():
        for strings in _options(parser):
            if any(path[0] in shared.get(option, ()) for option in strings):
                continue
            if not any(re.search(re.escape(option) + r"(?![\w-])", written.get(path, "")) for option in strings):
                missing.append(f"{' '.join(path)} {'/'.join(strings)}")
    assert not missing, "options no README synopsis of their verb writes:\n" + "\n".join(missing)


def _readme_operations() -> set[tuple[str, str]]:
    """The operations the two API tables list, as (method, path under /api/v1) with every parameter written
    ``{}``; ``{kind}`` is each record kind."""
    tables = [(_section("## Serving the API (`tracertm serve`)"), "| method and path (under `/api/v1`) |", ""),
              (_section("### Traceability endpoints"), "| method and path | what it does |", "/projects/{project}")]
    found: set[tuple[str, str]] = set()
    for section, header, prefix in tables:
        for cell in _first_cells(section, header):
            for span in _spans(cell):
                if span.startswith("{"):  # a request body, after the operation (`{"reviewed": true}`)
                    continue
                match = OPERATION.match(span)
                assert match, f"an API table's first cell names no operation: {span}"
                path = prefix + match.group(2).split("?")[0]
                for kind in KINDS if "{kind}" in path else ("",):
                    found.add((match.group(1), re.sub(r"\{[^}]*\}", "{}", path.replace("{kind}", kind))))
    return found


@pytest.fixture
def operations(tmp_path: Path) -> set[tuple[str, str]]:
    """The operations of the app's OpenAPI document (the routes it serves; none is hidden from it but the ones that
    answer 404 for a link path that is no number), in ``_readme_operations``' form."""
    from tracertm import db
    from tracertm.api.app import ApiSettings, create_app

    engine = db.make_engine(f"sqlite:///{tmp_path / 'specs.db'}")
    try:
        paths = create_app(ApiSettings(), engine=engine).openapi()["paths"]
    finally:
        engine.dispose()
    return {(method.upper(), re.sub(r"\{[^}]*\}", "{}", path.removeprefix("/api/v1")))
            for path, item in paths.items() for method in item}


def test_the_api_tables_list_every_operation(operations: set[tuple[str, str]]) -> None:
    written = _readme_operations()
    assert sorted(operations - written) == [], "operations missing from the README's API tables"
    assert sorted(written - operations) == [], "operations the README lists and the API does not have"
