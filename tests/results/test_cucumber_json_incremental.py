"""A Cucumber JSON report is read one element at a time, never decoded whole, with the verdicts of a whole decode.

``json.loads`` of a 50 MB report of a million minimal scenarios grew the import by 450 MB of Python objects before
it read one, and the parse kept every element until it had compared their ids (1.2 GB in all). The reader now
walks the top-level list and each feature (``json_walk.Cursor``) and decodes one element at a time: what the parse
holds is the text, one element and the scenarios' results. Every error is still the whole document's: malformed
JSON is found wherever it is, before a field of the wrong type earlier in the file, at the position ``json.loads``
gives it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import tracertm
from tracertm.errors import ParseError
from tracertm.results.formats import parse_report
from tracertm.text import place

FIXTURES = Path(__file__).parent / "fixtures"
SRC = str(Path(tracertm.__file__).resolve().parents[1])


def _parse(data: bytes) -> list[tuple[str, str]]:
    return [(case.external_id, case.status) for case in parse_report("r.json", data, "cucumber-json").cases]


def _error(data: bytes) -> tuple[int, int, str]:
    with pytest.raises(ParseError) as caught:
        parse_report("r.json", data, "cucumber-json")
    return caught.value.line, caught.value.column, caught.value.message


def _json_loads_error(text: str) -> tuple[int, int, str] | None:
    """The error a whole decode gives ``text`` (what the import said before), or None when it decodes."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        line, column = place(text, exc.pos)
        return line, column, f"malformed JSON: {exc.msg}; nothing was imported from this file"
    return None


def test_every_prefix_and_broken_character_is_the_error_json_loads_gives() -> None:
    text = json.dumps(json.loads((FIXTURES / "cucumber-go.json").read_bytes())[:2], indent=1)
    texts = [text[:end] for end in range(0, len(text), 2)]
    for char in ",:]}[{\"x 1":
        texts += [text[:at] + char + text[at + 1:] for at in range(0, len(text), 11)]
    compared = 0
    for broken in texts:
        expected = _json_loads_error(broken)
        if expected is None or not broken.lstrip().startswith("["):
            continue  # valid JSON (its verdict is the report's), or no list: decoded whole, as before
        assert _error(broken.encode()) == expected, broken
        compared += 1
    assert compared > 1000


def _feature(uri: str, elements: str, before: str = "", after: str = "") -> str:
    return '{%s"elements": %s, "name": "F"%s%s}' % (before, elements, ', "uri": "%s"' % uri if uri else "", after)


SCENARIO = '{"id": "f;s%d", "name": "s%d", "line": %d, "steps": [{"result": {"status": "%s"}}]}'


def test_a_uri_after_the_elements_names_their_file() -> None:
    # cucumber-jvm writes "elements" before "name" and "uri": the scenarios wait for their feature's fields.
    data = "[" + _feature("features/a.feature", "[" + SCENARIO % (1, 1, 3, "failed") + "]") + "]"
    assert _parse(data.encode()) == [("features/a.feature::f;s1", "failed")]


def test_the_last_of_a_repeated_key_is_read_as_a_whole_decode_reads_it() -> None:
    bad = '[{"id": "f;s1", "line": "x"}]'
    good = "[" + SCENARIO % (2, 2, 4, "passed") + "]"
    data = '[{"uri": "a.feature", "elements": %s, "elements": %s, "uri": "b.feature"}]' % (bad, good)
    assert _parse(data.encode()) == [("b.feature::f;s2", "passed")]
    data = '[{"uri": "a.feature", "elements": %s, "elements": %s}]' % (good, bad)
    assert _error(data.encode())[2].startswith("element #1 of feature #1: 'line' must be a whole number")


def test_malformed_json_after_a_wrong_field_is_the_error() -> None:
    wrong = _feature("a.feature", '[{"id": "f;s1", "name": 5}]')
    later = _feature("b.feature", "[" + SCENARIO % (1, 1, 3, "passed") + "]")
    data = "[" + wrong + ",\n" + later + ",\n" + later[:-5] + "]"
    assert _error(data.encode()) == _json_loads_error(data)
    assert _error(data.encode())[0] == 3
    data = "[" + wrong + ",\n" + later + "]"
    assert _error(data.encode()) == (
        1, 0, "element #1 of feature #1: 'name' must be text, not the number 5; fix or regenerate the report; "
              "nothing was imported from this file")


def test_behave_json_and_no_features_are_refused_as_before() -> None:
    behave = (FIXTURES / "behave-own.json").read_bytes()
    assert "behave's own JSON format" in _error(behave)[2]
    assert "feature #2 is not an object" in _error(b'[{"uri": "a.feature"}, 5]')[2]
    assert "has none of a Cucumber feature's fields" in _error(b'[{"filePath": "a.js", "messages": []}]')[2]
    assert "expected a list of features" in _error(b'{"features": []}')[2]
    assert _parse(b" [ ] \n") == []


def test_a_nesting_bomb_in_an_element_is_one_line() -> None:
    depth = 100_000
    data = ('[{"uri": "a.feature", "elements": [{"id": "x", "steps": ' + "[" * depth + "]" * depth + "}]}]").encode()
    assert _error(data) == (1, 0, "JSON nested too deeply; this is not a Cucumber report")


# The peak RSS of the parse above the RSS once the report is read (VmHWM, not ru_maxrss: a child keeps its parent's
# ru_maxrss, here pytest's, across fork and exec).
_PEAK = """
import sys
from tracertm.results.formats import parse_report


def status(key):
    with open("/proc/self/status") as lines:
        return next(int(line.split()[1]) * 1024 for line in lines if line.startswith(key + ":"))


data = open(sys.argv[1], "rb").read()
before = status("VmRSS")
cases = parse_report(sys.argv[1], data, "cucumber-json").cases
print(len(cases), status("VmHWM") - before)
"""

_STEP = ('{"keyword": "Given ", "name": "a cart with %d items", "line": %d, "match": {"location": "steps.py:12"}, '
         '"result": {"status": "passed", "duration": 1234567}}')
_ELEMENT = ('{"id": "feature-%d;scenario-%d", "keyword": "Scenario", "name": "Scenario %d", "line": %d, "type": '
            '"scenario", "tags": [{"name": "@SC-%d"}], "steps": [%s]}')


def _report(features: int, scenarios: int) -> bytes:
    """A report of ``features`` × ``scenarios`` scenarios of four passed steps, as cucumber-jvm writes them."""
    out = []
    for f in range(features):
        elements = ",".join(_ELEMENT % (f, s, s, 3 + 6 * s, s, ",".join(_STEP % (k, 4 + 6 * s + k) for k in range(4)))
                            for s in range(scenarios))
        out.append('{"elements": [%s], "id": "feature-%d", "keyword": "Feature", "name": "F %d", '
                   '"uri": "file:features/f%d.feature"}' % (elements, f, f, f))
    return ("[" + ",\n".join(out) + "]\n").encode()


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc/self/status")
@pytest.mark.parametrize("features, scenarios", [(100, 115), (1, 11_500)], ids=["100-features", "one-feature"])
def test_the_peak_memory_of_a_parse_is_the_text_and_the_results(
    tmp_path: Path, features: int, scenarios: int
) -> None:
    # 9 MB of 11,500 scenarios. Decoded whole, the parse grew the process by 7 times the file (65 MB); one
    # element at a time by 2.2 times (20 MB: the text, 9 MB, and 11,500 results), in one feature or a hundred.
    report = tmp_path / "r.json"
    report.write_bytes(_report(features, scenarios))
    size = report.stat().st_size
    done = subprocess.run([sys.executable, "-c", _PEAK, str(report)], capture_output=True, text=True, check=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": SRC})
    count, growth = map(int, done.stdout.split())
    assert count == features * scenarios
    assert growth < 4 * size, (growth, size)
