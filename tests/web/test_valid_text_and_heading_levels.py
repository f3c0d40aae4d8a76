"""What a page makes of the text it is given, found by a web audit (the Nu HTML Checker and axe-core over real
repositories): code points HTML forbids are shown visibly, a value's bidirectional controls are closed at its end,
``<time datetime>`` holds at most milliseconds, and Markdown headings continue the page's outline without holes —
under an ADR's ``<h2>`` sections, under a considered option's ``<h3>``, and right below a feature page's ``<h1>``."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from conformance import open_bidi, problems
from webfixtures import client_for, main_of

from tracertm.web.markdown import render
from tracertm.web.render import machine_time
from tracertm.web.text import bidi_closed, valid_text


def test_forbidden_code_points_are_shown_visibly() -> None:
    text = "bell\x07 vt\x0b ff\x0c esc\x1b del\x7f nel\x85 non\ufffe astral\U0001fffe tab\t lf\n cr\r 💳 \u00a0"
    assert valid_text(text) == ("bell\u2407 vt\u240b ff\u240c esc\u241b del\u2421 nel\ufffd non\ufffd "
                                "astral\ufffd tab\t lf\n cr\r 💳 \u00a0")
    assert problems(f"<!doctype html><title>{valid_text(text)}</title>") == []


def test_bidirectional_controls_are_closed_at_the_end_of_a_value() -> None:
    assert bidi_closed("plain") == "plain"
    assert bidi_closed("a \u202eb\u202c c \u2067d\u2069") == "a \u202eb\u202c c \u2067d\u2069"  # balanced: as it is
    assert bidi_closed("Eve \u202eevE") == "Eve \u202eevE\u202c"
    assert bidi_closed("\u2067x \u202ey") == "\u2067x \u202ey\u202c\u2069"  # innermost first
    assert bidi_closed("\u202ex \u2067y \u202bz\u2069") == "\u202ex \u2067y \u202bz\u2069\u202c"  # PDI closed z
    for text in ("\u202a\u202b\u202d\u202e", "\u2066\u2067\u2068", "\u202c\u2069\u202ex", "\u2066\u202e\u202c"):
        assert open_bidi(bidi_closed(text)) == 0, text


def test_machine_readable_times_hold_at_most_milliseconds() -> None:
    utc = dt.timezone.utc
    assert machine_time(dt.datetime(2026, 12, 4, 15, 2, 4, 225000, tzinfo=utc)) == "2026-12-04T15:02:04.225+00:00"
    assert machine_time(dt.datetime(2026, 12, 4, 15, 2, 4, 999, tzinfo=utc)) == "2026-12-04T15:02:04.000+00:00"
    assert machine_time(dt.datetime(2026, 12, 4, 15, 2, 4)) == "2026-12-04T15:02:04+00:00"  # stored without a zone
    plus_two = dt.timezone(dt.timedelta(hours=2))
    assert machine_time(dt.datetime(2026, 12, 4, 15, 2, tzinfo=plus_two)) == "2026-12-04T15:02:00+02:00"
    assert machine_time("2026-12-04T15:02:04.225001") == "2026-12-04T15:02:04.225+00:00"
    assert machine_time(None) == "" and machine_time("soon") == ""


def _levels(html: str) -> list[int]:
    return [int(n) for n in re.findall(r"<h([1-6])>", html)]


def test_markdown_headings_start_where_the_page_says_and_skip_no_level() -> None:
    text = "## a\n\n#### b\n\n# c\n\n### d\n\n###### e\n"
    assert _levels(render(text, None, {})) == [3, 4, 3, 4, 5]
    assert _levels(render(text, None, {}, top=2)) == [2, 3, 2, 3, 4]
    assert _levels(render(text, None, {}, top=5)) == [5, 6, 5, 6, 6]  # no deeper than <h6>
    assert _levels(render("### Positive\n\nx\n\n### Negative\n", None, {})) == [3, 3]  # MADR under Consequences
    assert str(render("#### b\n", None, {})) == "<h3>b</h3>\n"


MADR = """---
status: accepted
---
# Use YAML front matter

## Considered Options

* Use YAML front matter
* Use badge

## Decision Outcome

Chosen option: "Use YAML front matter".

## Pros and Cons of the Options

### Use YAML front matter

A description.

##### Details of it

* Good, because it is supported
"""
# Gherkin reads a line starting with "#" as a comment: a description's headings are setext ones.
FEATURE = """Feature: Notes in a description
  Notes
  =====

  Read these first.

  Details
  -------

  Scenario: one
    Given a step
"""


def test_pages_continue_their_outline_into_the_prose(git_repo: Any, database_url: str) -> None:
    from tracertm.engine.sync import sync

    git_repo.write("docs/adr/0001-use-yaml-front-matter.md", MADR)
    git_repo.write("features/notes.feature", FEATURE)
    git_repo.commit("prose with headings")
    assert not sync(git_repo.path, database_url=database_url).errors
    for client in client_for(database_url):
        adr = client.get("/projects/repo/adrs/ADR-0001").text  # type: ignore[attr-defined]
        feature = client.get("/projects/repo/features/notes").text  # type: ignore[attr-defined]
    option = '<h3 dir="auto">Use YAML front matter</h3>'
    assert option in adr and "<h4>Details of it</h4>" in adr  # below the option's <h3>
    assert problems(adr) == []
    main = main_of(feature)
    assert "<h2>Notes</h2>" in main and "<h3>Details</h3>" in main  # right below the page's <h1>
    assert main.index("<h2>Notes</h2>") < main.index('id="scenarios"')
    assert problems(feature) == []
