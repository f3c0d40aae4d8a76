"""Right-to-left names in the web view, in the real Chromium: a project whose features are written in Arabic and
Hebrew (untagged, so their ids are Arabic paths and scenario names), an ADR with a Hebrew title that supersedes
another, an imported Cucumber JSON run, a suspect link reviewed by a reviewer with a Hebrew name and one left
suspect, a database-side edit by a Hebrew-named actor, and a deleted feature.

A name the page shows in its own (left-to-right) sentence must be isolated (an element with ``dir``), or the
Unicode bidirectional algorithm joins it with the digits and punctuation beside it: "reviewed by זואי
2026-12-06 18:54 UTC" was drawn as "reviewed by 18:54 2026-12-06 זואי UTC", the time before the date and the name
after it. The reviewer's and the editor's lines must read, left to right: name, date, time, UTC.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from test_browser import launched, sample_server

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
def browser(served: str) -> Iterator[Any]:
    with launched() as chromium:
        yield chromium


# Where each of ``words`` is drawn (its left edge), in the first element matching ``selector`` whose text holds
# the first of them: a Range over the text node holding each word, wherever the markup splits the line.
LEFTS_JS = r"""([selector, words]) => {
  const el = Array.from(document.querySelectorAll(selector)).find(e => e.textContent.includes(words[0]));
  if (!el) return null;
  const lefts = [];
  for (const word of words) {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const i = n.textContent.indexOf(word);
      if (i < 0) continue;
      const r = document.createRange(); r.setStart(n, i); r.setEnd(n, i + word.length);
      lefts.push(r.getBoundingClientRect().left);
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
    lefts = page.evaluate(LEFTS_JS, [selector, words])
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
