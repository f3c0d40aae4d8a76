"""The prose of ADRs and features is Markdown on the pages (``tracertm.web.markdown``): links, emphasis, code,
lists and tables render; raw HTML, unsafe URLs and images do not; a link to a spec file of the repository leads to
its record's page, a link to any other file of it (or out of it) is plain text; headings sit below the page's."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from webproject import Built
from webfixtures import client_for, main_of, site  # noqa: F401 - site is a fixture

from tracertm.web.markdown import local_paths, render

P = "/projects/sample"
ADR = "docs/adr/0009-hostile.md"


@pytest.fixture
def client(site: tuple[str, Built]) -> Iterator[Any]:  # noqa: F811
    yield from client_for(site[0])


def test_the_adr_page_renders_its_markdown(client: Any) -> None:
    page = main_of(client.get(f"{P}/adrs/ADR-0009").text)
    consequences = page[page.index('id="s-consequences"'):page.index('id="history"')]
    ledger = f'href="{P}/adrs/ADR-0006"'
    assert consequences.count(ledger) == 2, "relative to the file and from the top: the ADR's page"
    hrefs = re.findall(r'href="([^"]*)"', consequences)
    assert hrefs == [f"{P}/adrs/ADR-0006", f"{P}/adrs/ADR-0006", "https://example.com/ledger",
                     "https://example.com/d.png"]  # an image: a link to it
    assert '<a href="https://example.com/d.png">a diagram</a>' in consequences
    for text in ("the read-me", "a file out of the\nrepository", "[a script](javascript:alert(3))"):
        assert text in consequences, text  # shown as text, not as links
    assert "<img" not in page and "<script" not in page
    # A heading shallower than the sections (``#`` under ``## Consequences``) is a section of its own, shown below the
    # known ones under an <h2>: the page keeps its one <h1>.
    assert '<h2 id="s-more-1" dir="auto">A heading in the file</h2>' in consequences and page.count("<h1") == 1
    assert "<table>" in consequences and "<strong>bold</strong>" in consequences
    assert "<code>code</code>" in consequences
    assert client.get(f"{P}/adrs/ADR-0006").status_code == 200


def test_local_paths_follow_the_file_and_stay_in_the_repository() -> None:
    text = ("[a](0002-b.md) [b](./sub/c.md#x) [c](../features/d.feature) [d](/contracts/e.yaml) "
            "[e](https://example.com/f.md) [f](#decision) [g](../../../out.md) [h](0003%20space.md)")
    assert local_paths(text, "docs/adr/0001-a.md") == {
        "docs/adr/0002-b.md", "docs/adr/sub/c.md", "docs/features/d.feature", "contracts/e.yaml",
        "docs/adr/0003 space.md",
    }


def test_render_without_pages_keeps_external_links_and_text() -> None:
    html = str(render("Use [x](x.md), [y](https://y.example/) and <b>raw</b> ![d](d.png) "
                      "![e](data:image/png;base64,AAAA).\n\n- one\n- two\n", "docs/adr/0001-a.md", {}))
    assert html == ('<p>Use x, <a href="https://y.example/">y</a> and &lt;b&gt;raw&lt;/b&gt; d e.</p>\n'
                    "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n")
    assert str(render("[x](x.md)", "docs/adr/0001-a.md", {"docs/adr/x.md": "/projects/p/adrs/ADR-0002"})) == (
        '<p><a href="/projects/p/adrs/ADR-0002">x</a></p>\n'
    )
    assert str(render(None, None, {})) == ""


MADR = """---
status: accepted
date: 2024-03-01
---
# Use YAML front matter

## Context and Problem Statement

ADRs have a status. See [the badge decision](0007-use-badges.md).

## Considered Options

* Use YAML front matter
* Use badge

## Decision Outcome

Chosen option: "Use YAML front matter", because it comes out best.

## Pros and Cons of the Options

### Use YAML front matter

Example: `status: accepted`

* Good, because YAML front matter is supported by *most* Markdown parsers
* Bad, because it is [hidden](https://example.com/hidden) on GitHub

### Use badge

* Good, because it looks good
* Neutral, because [![a badge](https://img.example/b.svg)](https://example.com/badge)
* Bad, because it relies on a service

## More Information

See [ADR-0007](0007-use-badges.md) and [the notes](../notes.md).
"""
BADGES = "# 7. Use badges\n\nDate: 2024-02-01\n\n## Status\n\nSuperseded\n\n## Context\n\nBadges.\n"


def test_a_madr_page_shows_its_options_and_sections(git_repo: Any, database_url: str) -> None:
    from tracertm.engine.sync import sync

    git_repo.write("docs/adr/0008-use-yaml-front-matter.md", MADR)
    git_repo.write("docs/adr/0007-use-badges.md", BADGES)
    git_repo.commit("madr")
    assert not sync(git_repo.path, database_url=database_url).errors
    for client in client_for(database_url):
        page = main_of(client.get("/projects/repo/adrs/ADR-0008").text)  # type: ignore[attr-defined]
    options = page[page.index('id="s-options"'):page.index('id="s-more-1"')]
    assert '<h3 dir="auto">Use YAML front matter</h3>' in options and '<h3 dir="auto">Use badge</h3>' in options
    assert '<li dir="auto">YAML front matter is supported by <em>most</em> Markdown parsers</li>' in options
    assert '<li dir="auto">it is <a href="https://example.com/hidden">hidden</a> on GitHub</li>' in options
    badge = '<li dir="auto"><a href="https://example.com/badge">a badge</a></li>'
    assert badge in options, "a badge: one link, not nested"
    assert "<code>status: accepted</code>" in options
    more = page[page.index('id="s-more-1"'):page.index('id="history"')]
    assert ">More Information</h2>" in more and 'href="/projects/repo/adrs/ADR-0007"' in more
    assert "the notes" in more and "notes.md" not in more
    assert 'href="/projects/repo/adrs/ADR-0007">the badge decision</a>' in page
    assert "considered options</th>" not in page, "shown as a section, not as JSON in the fields"


def test_an_image_inside_a_link_is_its_alt_text() -> None:
    assert str(render("[![b](https://x/b.svg)](https://y/)", "docs/adr/0001-a.md", {})) == (
        '<p><a href="https://y/">b</a></p>\n'
    )


def _nested_list(levels: int) -> str:
    return "".join("  " * i + f"- level {i}\n" for i in range(levels))


def test_text_nested_past_what_the_page_follows_is_shown_as_written_not_cut() -> None:
    """markdown-it's CommonMark preset follows 20 levels of blocks (ten of a list) and drops the rest of the text
    without a word: a page showed `level 0` to `level 8` of a list and nothing after it. Lists ten and thirty deep
    now render; past ``MAX_NESTING`` the whole text is shown as written, never a part of it."""
    from tracertm.web.markdown import MAX_NESTING

    for levels in (10, 30):
        html = str(render(_nested_list(levels) + "\nThe paragraph after.\n", "docs/adr/0001-a.md", {}))
        assert html.count("<ul>") == levels and f"level {levels - 1}" in html, levels
        assert "<p>The paragraph after.</p>" in html
    deep = "> " * (MAX_NESTING + 5) + "quoted <deeply>\n\nThe paragraph after [x](0002-b.md).\n"
    html = str(render(deep, "docs/adr/0001-a.md", {}))
    assert html == (f'<p class="note">Nested deeper than this page shows Markdown ({MAX_NESTING} levels): as '
                    f"written.</p>\n<pre>{'&gt; ' * (MAX_NESTING + 5)}quoted &lt;deeply&gt;\n\nThe paragraph "
                    "after [x](0002-b.md).\n</pre>\n")
    assert local_paths(deep, "docs/adr/0001-a.md") == set(), "what is shown as written links nothing"


def test_a_deeply_nested_feature_description_keeps_its_text_on_the_page(git_repo: Any, database_url: str) -> None:
    from tracertm.engine.sync import sync

    description = "".join(f"  {line}\n" for line in _nested_list(12).splitlines())
    git_repo.write("features/f.feature", f"@FEAT-1\nFeature: F\n{description}\n  The paragraph after.\n\n"
                                         "  Scenario: s\n    Given x\n")
    git_repo.commit("deep")
    assert not sync(git_repo.path, database_url=database_url).errors
    for client in client_for(database_url):
        page = main_of(client.get("/projects/repo/features/FEAT-1").text)  # type: ignore[attr-defined]
    assert "level 11" in page and "The paragraph after." in page


# Texts markdown-it parses in linear but steep work (an unclosed ``[`` costs it up to MAX_NESTING steps): each took
# 10 to 60 s of a page view, repeated on every view.
_COSTLY = {
    "unclosed brackets": lambda n: "[" * n,
    "emphasis runs": lambda n: "*a" * (n // 2),
    "unfinished links": lambda n: "[a](" * (n // 4),
    "table rows": lambda n: "| a | b |\n|---|---|\n" + "| x | y |\n" * (n // 10),
    "reference links": lambda n: "".join(f"[r{i}]: /u\n" for i in range(n // 20)) + "[r1] " * (n // 20),
}


@pytest.mark.parametrize("kind", sorted(_COSTLY))
def test_a_text_past_what_a_page_parses_is_shown_as_written(kind: str) -> None:
    from tracertm.web.markdown import MAX_BRACKETS, MAX_CHARS

    text = _COSTLY[kind](MAX_CHARS + 10)
    html = str(render(text, "docs/adr/0001-a.md", {}))
    assert html.startswith(f'<p class="note">Longer than this page shows as Markdown ({MAX_CHARS:,} characters or '
                           f"{MAX_BRACKETS:,} opening brackets in all its texts): as written.</p>\n<pre>"), kind
    assert local_paths(text, "docs/adr/0001-a.md") == set(), "what is shown as written links nothing"


def test_brackets_are_bounded_apart_and_a_page_shares_the_bounds_among_its_texts() -> None:
    from tracertm.web.markdown import MAX_BRACKETS, MAX_CHARS, fitting

    links = "".join(f"[{i}](https://x/{i}) " for i in range(MAX_BRACKETS))
    assert len(links) < MAX_CHARS and render(links, None, {}).count("<a href") == MAX_BRACKETS
    assert 'class="note"' in render(links + "[", None, {})
    assert 'class="note"' in render("[" * (MAX_BRACKETS + 1), None, {}), "short, but each [ costs"
    half = "a" * (MAX_CHARS // 2)
    assert fitting([half, half, "b", half, "c"]) == [True, True, False, False, False]
    assert fitting(["[" * MAX_BRACKETS, "[", "d"]) == [True, False, True]
    assert 'class="note"' in render("a", None, {}, fits=False), "the page's other texts took the room"


def test_an_adr_with_a_hostile_text_shows_it_as_written_and_the_rest_as_markdown(git_repo: Any,
                                                                                   database_url: str) -> None:
    from tracertm.engine.sync import sync

    git_repo.write("docs/adr/0001-x.md", "# 1. X\n\n## Status\nAccepted\n\n## Context\nThe *context*.\n\n"
                                         "## Decision\n" + "[" * 200_000 + "\n")
    git_repo.commit("hostile")
    assert not sync(git_repo.path, database_url=database_url).errors
    for client in client_for(database_url):
        page = main_of(client.get("/projects/repo/adrs/ADR-0001").text)  # type: ignore[attr-defined]
    assert "<em>context</em>" in page
    assert page.count('<p class="note">Longer than this page shows as Markdown') == 1
    assert "[" * 200_000 in page
