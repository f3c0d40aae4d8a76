"""The prose of ADRs and features as the pages show it: Markdown (CommonMark with tables and strikethrough, through
markdown-it-py), safe to serve from files anyone can commit.

- Raw HTML is text (``html`` off); a link whose URL scheme is not safe (``javascript:``, ``data:`` …) is text too
  (markdown-it's own ``validateLink``), and the pages' Content-Security-Policy runs no script anyway.
- An image is a link to it, named by its alt text: the pages load nothing from elsewhere (``img-src 'self'``).
- Headings move below the page's own: the text's shallowest heading is shown at the level the caller gives (``<h3>``
  in a section of an ADR's page, whose sections are ``<h2>``), and no heading is more than one level deeper than
  the one before it (``##`` then ``####`` is ``<h3>`` then ``<h4>``): a page's outline has no holes.
- Each run of text closes the bidirectional controls it opens (``text.bidi_closed``), as the pages' values do.
- Text nested deeper than the parser follows (``MAX_NESTING`` lists, quotes and items inside each other), whose rest
  markdown-it drops without a word, is shown as written instead (``_TooDeep``): a page never hides part of a text.
- So is a text past what a page parses in bounded time (``fitting``: ``MAX_CHARS`` characters and ``MAX_BRACKETS``
  ``[`` over all a page's texts): markdown-it's work grows linearly but steeply (an unclosed ``[`` costs it up to
  ``MAX_NESTING`` steps), and every view of the page would repeat it.
- A link to a file of the repository (``[9. Help scripts](0009-help-scripts.md)``, relative to the record's file as
  git hosts resolve it, or ``/docs/…`` from the repository's top) leads to that record's page when the file is a
  live spec of the project; to another file of the repository it is plain text, since the pages do not serve files.

The JSON twin and the file keep the exact text; this is only how a page shows it. Pure: the caller looks the
linked paths up (``local_paths`` → ``render(..., pages)``).
"""

from __future__ import annotations

import functools
import posixpath
from collections.abc import Iterable, Mapping
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.parser_block import ParserBlock
from markdown_it.rules_block import StateBlock
from markdown_it.token import Token
from markupsafe import Markup

from tracertm.web.text import bidi_closed

# Sections of a page are <h2>: a text's shallowest Markdown heading is an <h3> unless the caller says otherwise.
TOP_HEADING = 3
_TEXT_TOKENS = ("text", "code_inline", "code_block", "fence")


# Block nesting markdown-it follows (its "default" preset's; "commonmark" has 20: ten levels of a list). Beyond it the
# parser would drop the rest of the text; the bound is there so a hostile text cannot recurse without end.
MAX_NESTING = 100


# What one page parses as Markdown, over all its texts: about a second of markdown-it's work at its slowest per
# character (``[a](`` repeated), far more prose than any record has. Each ``[`` costs up to MAX_NESTING steps
# (markdown-it looks that deep for the ``]`` closing it), hence a bound of its own.
MAX_CHARS = 100_000
MAX_BRACKETS = 2_000


class _TooDeep(Exception):
    """The text nests blocks deeper than ``MAX_NESTING``: markdown-it would skip the rest of it."""


class _Block(ParserBlock):
    def tokenize(self, state: StateBlock, startLine: int, endLine: int) -> None:  # noqa: N803 (markdown-it's)
        if state.level >= state.md.options.maxNesting:  # where markdown-it skips the lines left, silently
            raise _TooDeep
        super().tokenize(state, startLine, endLine)


@functools.cache
def _parser() -> MarkdownIt:
    md = (MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False,
                                    "maxNesting": MAX_NESTING})
          .enable(["table", "strikethrough"]))
    block = _Block()
    block.ruler = md.block.ruler  # (as configured)
    md.block = block
    return md


_OUTSIDE = ""  # what ``_local`` gives for a path out of the repository: no file's path


def _local(href: str, source_path: str | None) -> str | None:
    """The repository path a link's URL names, relative to the file at ``source_path`` (or to the top, when it
    starts with ``/``): ``_OUTSIDE`` for a path out of the repository; None for a URL with a scheme or host, or an
    anchor of the page itself (links kept as they are)."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path:
        return None
    path = unquote(parts.path)
    if path.startswith("/"):
        joined = path.lstrip("/")
    else:
        joined = posixpath.join(posixpath.dirname(source_path or ""), path)
    target = posixpath.normpath(joined)
    if target in (".", "..") or target.startswith("../"):
        return _OUTSIDE
    return target


def _tokens(text: str, inline: bool = False) -> list[Token] | None:
    """The tokens of ``text``; None when it nests too deep to be parsed whole (``_TooDeep``)."""
    md = _parser()
    try:
        return (md.parseInline if inline else md.parse)(text.replace("\r\n", "\n"))
    except _TooDeep:
        return None


def fitting(texts: Iterable[str]) -> list[bool]:
    """For each of a page's ``texts`` in turn whether the page shows it as Markdown: while the texts so far stay
    within ``MAX_CHARS`` characters and ``MAX_BRACKETS`` ``[`` in all (a text past them is shown as written)."""
    chars, brackets, out = MAX_CHARS, MAX_BRACKETS, []
    for text in texts:
        fits = len(text) <= chars and text.count("[") <= brackets
        if fits:
            chars, brackets = chars - len(text), brackets - text.count("[")
        out.append(fits)
    return out


def local_paths(text: str | None, source_path: str | None) -> set[str]:
    """The repository paths the links of ``text`` (the prose of the file at ``source_path``) name; none for a text
    past the bounds of ``fitting``, which is shown as written."""
    found: set[str] = set()
    if not fitting([text or ""])[0]:
        return found
    for token in _tokens(text or "") or ():
        for child in token.children or ():
            if child.type == "link_open":
                target = _local(str(child.attrGet("href") or ""), source_path)
                if target:
                    found.add(target)
    return found


def render(text: str | None, source_path: str | None, pages: Mapping[str, str], inline: bool = False,
           top: int = TOP_HEADING, fits: bool = True) -> Markup:
    """``text`` as HTML: its links to repository files sent to the pages of ``pages`` (repository path → page
    URL), or made plain text where the path has no page. ``inline``: one line's Markdown (a list item of a
    considered option), without a paragraph around it. ``top``: the level of the text's shallowest heading.
    ``fits``: whether the page's other texts left room for this one (``fitting``); if not, or if it is past the
    bounds alone, it is shown as written."""
    if not (fits and fitting([text or ""])[0]):
        return _as_written(f"Longer than this page shows as Markdown ({MAX_CHARS:,} characters or {MAX_BRACKETS:,} "
                           "opening brackets in all its texts)", text)
    tokens = _tokens(text or "", inline)
    if tokens is None:
        return _as_written(f"Nested deeper than this page shows Markdown ({MAX_NESTING} levels)", text)
    _shift_headings(tokens, top)
    for token in tokens:
        if token.type in _TEXT_TOKENS:
            token.content = bidi_closed(token.content)
        if token.children:
            token.children = _with_local_links(token.children, source_path, pages)
            for child in token.children:
                if child.type in _TEXT_TOKENS:
                    child.content = bidi_closed(child.content)
    md = _parser()
    return Markup(md.renderer.render(tokens, md.options, {}))  # noqa: S704 (markdown-it escapes; raw HTML is off)


def _as_written(why: str, text: str | None) -> Markup:
    """``text`` as written, under a note saying ``why`` it is not shown as Markdown."""
    return Markup('<p class="note">{}: as written.</p>\n<pre>{}</pre>\n').format(why, bidi_closed(text or ""))


def _shift_headings(tokens: list[Token], top: int) -> None:
    """Set each heading's level: the shallowest at ``top``, the others as deep below it as the file has them but
    never more than one level below the heading before (at most ``<h6>``)."""
    levels = [int(t.tag[1:]) for t in tokens if t.type == "heading_open"]
    if not levels:
        return
    shallowest, previous, tag = min(levels), top - 1, ""
    for token in tokens:
        if token.type == "heading_open":
            level = min(int(token.tag[1:]) - shallowest + top, previous + 1, 6)
            previous, tag = level, f"h{level}"
            token.tag = tag
        elif token.type == "heading_close":
            token.tag = tag


def _with_local_links(children: list[Token], source_path: str | None, pages: Mapping[str, str]) -> list[Token]:
    out: list[Token] = []
    dropping = in_link = False
    for child in children:
        if child.type == "image":
            # Inside a link (a badge: ``[![alt](img)](href)``) its alt text alone: links do not nest.
            out.extend([Token("text", "", 0, content=child.content)] if in_link else
                       _image_link(child, source_path, pages))
            continue
        in_link = child.type == "link_open" or (in_link and child.type != "link_close")
        if child.type == "link_open":
            href = str(child.attrGet("href") or "")
            target = _local(href, source_path)
            if target is not None:
                page = pages.get(target)
                if page is None:
                    dropping = True  # the link's text stays, the link goes (links do not nest)
                    continue
                child.attrSet("href", page)
        elif child.type == "link_close" and dropping:
            dropping = False
            continue
        out.append(child)
    return out


def _image_link(image: Token, source_path: str | None, pages: Mapping[str, str]) -> list[Token]:
    """An image as a link to it (its alt text the link's text), or as the text alone when its address is neither
    a web address nor a spec file's page."""
    src = str(image.attrGet("src") or "")
    target = _local(src, source_path)
    href = pages.get(target) if target is not None else src if urlsplit(src).scheme in ("http", "https") else None
    text = Token("text", "", 0, content=image.content)
    if href is None:
        return [text]
    return [Token("link_open", "a", 1, attrs={"href": href}), text, Token("link_close", "a", -1)]


__all__ = ["fitting", "local_paths", "render"]
