"""Right-to-left names in the web view, in the real Chromium: a project whose features are written in Arabic and
Hebrew (untagged, so their ids are Arabic paths and scenario names), an ADR with a Hebrew title that supersedes
another, an imported Cucumber JSON run, a suspect link reviewed by a reviewer with a Hebrew name and one left
suspect, a database-side edit by a Hebrew-named actor, and a deleted feature.

A name or id the page shows in its own (left-to-right) sentence must be isolated (``<bdi>``, or an element with
``dir``), or the Unicode bidirectional algorithm joins it with the digits and punctuation beside it: "reviewed by
זואי 2026-12-06 18:54 UTC" was drawn as "reviewed by 18:54 2026-12-06 זואי UTC", and two Arabic ids listed
"دفع, رد" as one right-to-left run, the last first. Checked in Chromium: those lines read left to right in their
order, and on every page the crawler reaches from the project each shown text with right-to-left letters is
isolated (commands and paths in ``<code>``, typed as they are, and the visually hidden labels excepted).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from test_browser import launched, sample_server
from test_every_link_leads_somewhere import crawl_site

from conftest import GitRepo, run_cli

P = "/projects/rtl"
REVIEWER = "זואי לוי"
ACTOR = "api:משה"
AR_FEATURE = """# language: ar
@ADR-0002
خاصية: الدفع بالبطاقة

  سيناريو: دفع ناجح
    بفرض أن التاجر يقبل الدفع
    عندما يدفع المتسوق 10 يورو
    اذاً الدفع مقبول

  سيناريو: دفع مرفوض
    بفرض أن التاجر يقبل الدفع
"""
HE_FEATURE = """# language: he
@ADR-0001
תכונה: החזר כספי

  תרחיש: החזר מלא
    בהינתן הסוחר מקבל תשלום
"""
OLD_ADR = "---\nid: ADR-0001\nstatus: superseded\n---\n\n# ספר חשבונות ישן\n\n## Context\n\nישן.\n"
NEW_ADR = ("---\nid: ADR-0002\nstatus: accepted\nsupersedes: ADR-0001\n---\n\n# ספר חשבונות 2\n\n## Context\n\n"
           "חדש.\n")
REPORT = [{"uri": "features/ar/pay.feature", "name": "الدفع بالبطاقة", "elements": [
    {"name": "دفع ناجح", "type": "scenario", "line": 5,
     "steps": [{"keyword": "بفرض أن ", "name": "التاجر يقبل الدفع", "result": {"status": "passed", "duration": 5}}]},
    {"name": "دفع مرفوض", "type": "scenario", "line": 10,
     "steps": [{"keyword": "بفرض أن ", "name": "التاجر يقبل الدفع",
                "result": {"status": "failed", "duration": 5, "error_message": "رفض"}}]}]}]


def _rtl(repo: GitRepo, url: str) -> None:
    import tracertm
    from tracertm import db
    from tracertm.repositories import Projects, Records
    from tracertm.results import import_results

    def sync() -> None:
        result = tracertm.sync(repo.path, database_url=url, project="rtl", ref="HEAD")
        assert not result.errors, result.errors

    repo.write("docs/adr/0001-old.md", OLD_ADR)
    repo.write("docs/adr/0002-new.md", NEW_ADR)
    repo.write("features/ar/pay.feature", AR_FEATURE)
    repo.write("features/he/refund.feature", HE_FEATURE)
    for name in ("دفع", "رد"):  # two untagged features named in Arabic: ids that a matrix cell lists side by side
        repo.write(f"features/{name}.feature", f"# language: ar\n@ADR-0002\nخاصية: {name}\n\n  سيناريو: س\n"
                                               "    بفرض أن التاجر يقبل الدفع\n")
    repo.write("features/he/gone.feature", "# language: he\nתכונה: נמחק\n\n  תרחיש: ישן\n    בהינתן משהו\n")
    first = repo.commit("rtl")
    sync()
    report = repo.path.parent / "cucumber.json"
    report.write_text(json.dumps(REPORT, ensure_ascii=False), encoding="utf-8")
    assert import_results(url, "rtl", [str(report)], commit=first, run_name="ci") is not None
    # Both ADRs change: the links to them turn suspect; the Arabic feature's are reviewed, the Hebrew one's not.
    repo.write("docs/adr/0001-old.md", OLD_ADR.replace("ישן.", "ישן מאוד."))
    repo.write("docs/adr/0002-new.md", NEW_ADR.replace("חדש.", "חדש מאוד."))
    repo.remove("features/he/gone.feature")
    repo.commit("edit")
    sync()
    reviewed = run_cli("review", "ar/pay", "--by", REVIEWER, "--database-url", url, "--project", "rtl")
    assert reviewed.returncode == 0, reviewed.stderr
    engine = db.make_engine(url)
    try:
        with db.session(engine) as session, session.begin():
            adrs = Records(session, "adr")
            row = adrs.get("ADR-0002", Projects(session).get("rtl"))
            adrs.update(row, {"approved_by": "כרמל"}, row.version, ACTOR)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with sample_server(tmp_path_factory, _rtl) as (base, _):
        yield base


@pytest.fixture(scope="module")
def pages(served: str) -> list[str]:
    """The HTML pages of the project the crawler reaches from it (no error on any)."""
    with httpx.Client(base_url=served, timeout=30) as http:
        crawl = crawl_site(http, (P, f"{P}/links", "/search?q=" + "الدفع"))
    assert not crawl.problems, "\n".join(crawl.problems)
    found = [u for u in crawl.ids if not u.startswith(("/api/", "/docs"))]
    assert f"{P}/adrs/ADR-0002" in found and any("/scenarios/" in u for u in found), found
    return found


@pytest.fixture(scope="module")
def browser(served: str) -> Iterator[Any]:
    with launched() as chromium:
        yield chromium


UNISOLATED_JS = r"""() => {
  const rtl = /[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF]/;
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!rtl.test(n.textContent) || el.closest('[dir], bdi, code, .vh')) continue;
    found.push(el.tagName + ': ' + el.outerHTML.slice(0, 160));
  }
  return found;
}"""


def test_right_to_left_values_are_isolated_on_every_page(browser: Any, served: str, pages: list[str]) -> None:
    context = browser.new_context(base_url=served)
    try:
        page = context.new_page()
        bare = {}
        for url in pages:
            page.goto(url)
            found = page.evaluate(UNISOLATED_JS)
            if found:
                bare[url] = found[:5]
        assert not bare, json.dumps(bare, indent=1, ensure_ascii=False)
    finally:
        context.close()


# Where each of ``words`` is drawn (its left edge), in the first element matching ``selector`` whose text holds
# the first of them: a Range over the text node holding each word, wherever the markup splits the line. With
# ``lines``, [top, left] of each: the order of words a line wrap may part.
LEFTS_JS = r"""([selector, words, lines]) => {
  const el = Array.from(document.querySelectorAll(selector)).find(e => e.textContent.includes(words[0]));
  if (!el) return null;
  const lefts = [];
  for (const word of words) {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const i = n.textContent.indexOf(word);
      if (i < 0) continue;
      const r = document.createRange(); r.setStart(n, i); r.setEnd(n, i + word.length);
      const box = r.getBoundingClientRect();
      lefts.push(lines ? [Math.round(box.top), box.left] : box.left);
      break;
    }
  }
  return lefts;
}"""


def _reads_in_order(page: Any, selector: str, name: str) -> None:
    """The line ``selector`` holding ``name`` shows, left to right: the name, the date, the time, ``UTC``."""
    text = page.locator(selector, has_text=name).first.inner_text()
    moment = re.search(r"(\d{4}-\d\d-\d\d) (\d\d:\d\d) UTC", text)
    assert moment, text
    words = [name, moment.group(1), moment.group(2), "UTC"]
    lefts = page.evaluate(LEFTS_JS, [selector, words, False])
    assert lefts is not None and len(lefts) == 4, (text, lefts)
    drawn = sorted(words, key=lambda w: lefts[words.index(w)])
    assert lefts == sorted(lefts), f"{text!r} is drawn in the order {drawn}"


@pytest.mark.parametrize(("selector", "name"), [
    ("table.links .note", REVIEWER),  # "reviewed by NAME DATE TIME UTC", in the links table
    ("ol.timeline p.rev", ACTOR),  # "by NAME, DATE TIME UTC", the database-side edit in the timeline
])
def test_a_right_to_left_name_beside_a_time_reads_name_date_time(browser: Any, served: str, selector: str,
                                                                 name: str) -> None:
    context = browser.new_context(base_url=served, viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{P}/adrs/ADR-0002")
        _reads_in_order(page, selector, name)
    finally:
        context.close()


def test_right_to_left_ids_listed_side_by_side_keep_their_order(browser: Any, served: str) -> None:
    # "ar/pay, دفع, رد", compared by each id's line, then its left edge. Without isolation the two Arabic ids and
    # the comma between them were one right-to-left run, drawn "رد ,دفع" (the last listed first).
    context = browser.new_context(base_url=served, viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{P}/matrix?from=adrs")
        features = "table.matrix td:nth-child(5)"  # the features column; ADR-0002's row is the one with ar/pay
        assert page.locator(features, has_text="ar/pay").inner_text() == "ar/pay, دفع, رد"
        # On one line, as a wider column would hold it (a line break parts the run the algorithm reverses).
        page.locator(features, has_text="ar/pay").evaluate("td => { td.style.whiteSpace = 'nowrap'; }")
        drawn = page.evaluate(LEFTS_JS, [features, ["ar/pay", "دفع", "رد"], True])
        assert drawn == sorted(drawn), drawn
    finally:
        context.close()
