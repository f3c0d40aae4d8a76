"""Regexes of other languages as their own engines read them (``tracertm.steps.regex``): checked against node's
``RegExp`` and Java's ``java.util.regex`` themselves when they are installed (CI has node; ``TRACERTM_REQUIRE_NODE=1``
makes a missing node fail), and end to end through ``tracertm check``."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import unicodedata
import warnings
from pathlib import Path

import pytest

from conftest import GitRepo, run_cli
from tracertm.steps.regex import Refused, Untranslatable, language_classes, translate

# (pattern, flags, text): JavaScript's verdict decides; tracertm's translation must agree, or refuse to translate.
JS_CASES = [
    (r"^brackets []x]$", "", "brackets x"),  # [] matches nothing in JavaScript (a leading ] is literal in Python)
    (r"^brackets []x]$", "", "brackets ]x]"),
    (r"^empty class[]?$", "", "empty class"),
    (r"^any [^]$", "", "any \n"),
    (r"^code point \u{1F600}$", "u", "code point \U0001F600"),
    (r"^control \cJ?ok$", "", "control \nok"),
    (r"^control \cJ?ok$", "", "control ok"),
    (r"^a\zb$", "", "azb"),  # an identity escape: the letter
    (r"^x{,3}$", "", "x{,3}"),  # not a quantifier in JavaScript
    (r"^x{2,3}$", "", "xxx"),
    (r"^set [&&|~~]+$", "", "set &|~"),  # set operations only in Python's future: literal here
    (r"^set [[a]+$", "", "set [a["),  # [ in a class is literal
    (r"^range [a-c-e]+$", "", "range -e"),
    (r"^range [\d-z]+$", "", "range 1-z"),
    (r"^(?<word>\w+) \k<word>$", "", "echo echo"),
    # A back-reference to a group that took no part in the match matches nothing in JavaScript (Python's fails).
    (r"^(a)?b\1$", "", "b"), (r"^(a)?b\1$", "", "aba"), (r"^(a)?b\1$", "", "bab"),
    (r"^say (?<q>['\"])?(\w+)\k<q>$", "", "say hi"), (r"^say (?<q>['\"])?(\w+)\k<q>$", "", "say 'hi\""),
    (r"^(?:(a)|(b))+\2$", "i", "AA"),
    # With the m flag ^ and $ are at each of JavaScript's line terminators, \r, U+2028 and U+2029 too.
    *[(pattern, flags, f"a{c}b") for pattern in (r"^b$", r"^a$", r"^a$\s^b$") for flags in ("m", "")
      for c in "\r\u2028\u2029\n"],
    (r"^say (\w+)$", "m", "say\u2028say hi\u2028bye"),
    (r"^a \w+ b$", "", "a José b"),  # \w is ASCII in JavaScript
    (r"^a [^\]]+ b$", "", "a x] b"),
    # . stops at JavaScript's line terminators (not at NEL), but where the s flag holds; \s is JavaScript's white
    # space (the BOM, not \x1c-\x1f nor NEL), \S the rest, in a class too.
    *[(r"^say .$", flags, f"say {c}") for flags in ("", "s") for c in "\r\x85\u2028\u2029"],
    *[(pattern, "", f"gap x{c}y") for pattern in (r"^gap x\sy$", r"^gap x\Sy$", r"^gap x[\s]y$", r"^gap x[^\s]y$",
                                                  r"^gap x[\S]y$", r"^gap x[^\S]y$", r"^gap x[\S-]y$")
      for c in "\x0b\x1c\x1f\x85\xa0\u2028\u3000\ufeff"],
    (r"^any [^]$", "", "any \u2028"),
    *[(r"^any [\s\S]$", "", f"any {c}") for c in "\x1c\ufeff"],
    # \D and \W are ASCII inside a class too: every character but 0-9 (but a word character), "٣" and "é" included.
    *[(pattern, flags, f"class x{c}y") for pattern in (r"^class x[\D]y$", r"^class x[^\D]y$", r"^class x[\W]y$",
                                                      r"^class x[^\W]y$", r"^class x[a\W]y$", r"^class x[^a\W]y$",
                                                      r"^class x[\d\W]y$", r"^class x[^\W\D]y$", r"^class x[\W-]y$")
      for flags in ("", "i") for c in "\u0663é5aA_-"],
    # With the u flag an escaped surrogate pair is one character (without it, ``test_utf16_regexes``).
    (r"^pair \uD83D\uDE00$", "u", "pair \U0001F600"),
    (r"^pair [\uD83D\uDE00]$", "u", "pair \U0001F600"),
]
# Java's verdicts: None where java.util.regex refuses the pattern.
JAVA_CASES = [
    (r"I pay {int}$", "I pay {int}"),
    (r"^the {word} is here$", "the {word} is here"),
    (r"^x{2}$", "xx"),
    (r"^a\Q.*\E$", "a.*"),
    (r"^letter [a-z&&[^aeiou]]$", "letter b"),
    (r"^letter [a-z&&[^aeiou]]$", "letter a"),
    (r"^esc \e$", "esc \x1b"),
    (r"^hex \x{41}$", "hex A"),
    (r"^lead []a]+$", "lead ]a"),
    # . stops at Java's line terminators, NEL included, but under (?s); \s is ASCII, \S the rest, in a class too.
    *[(pattern, f"say {c}") for pattern in (r"say .", r"(?s)say .", r"say (?s:.)", r"say (?s).|x", r"(?s)say (?-s:.)")
      for c in "\r\x85\u2028"],
    *[(pattern, f"gap x{c}y") for pattern in (r"gap x\sy", r"gap x[\S]y", r"gap x[^\S]y")
      for c in "\x0b\x1c\x85\u3000"],
    *[(pattern, f"class x{c}y") for pattern in (r"class x[\D]y", r"class x[^\W]y", r"class x[a\W]y",
                                                r"(?i)class x[^a\W]y", r"class x[^\W\D]y") for c in "\u0663éa5A"],
    ("(?x)(?s:a # )\n .) .", "a\x85x"),  # a verbose pattern's comment is no group
    ("(?x)(?s:a # )\n .) .", "ax\x85"),
    # \h and \v are Java's horizontal and vertical whitespace (Python has no \h; its \v is \x0b alone), \H and \V
    # the rest, in a class too.
    *[(pattern, f"a{c}b") for pattern in (r"a\hb", r"a\Hb", r"a[\h]b", r"a[^\h]b", r"a[\H]b", r"a\vb", r"a\Vb",
                                         r"a[\v]b", r"a[x\V]b", r"a[\h-]b")
      for c in " \t\xa0\u180e\u200b\u3000\x0b\n\x85\u2028x-"],
    # \0 and one to three octal digits (three when the first is at most 3); \0 alone is refused.
    *[(pattern, text) for pattern in (r"^\0101$", r"^[\0101]$", r"^\0477$", r"^\018$", r"^\0$")
      for text in ("A", "\x081", "'7", "\x01" + "8", "")],
    (r"^\N{LATIN SMALL LETTER E WITH ACUTE}$", "é"),  # a character by its name (Java 9): no repetition
]


def _python(pattern: str, flags: str, language: str, text: str, anchored: bool = False) -> bool | str:
    """Whether tracertm's translation matches ``text`` (searching, as cucumber-js does; whole text as
    cucumber-jvm), or ``"refused"`` / ``"untranslatable"``."""
    try:
        source, value = translate(pattern, flags, language)
    except Refused:
        return "refused"
    except Untranslatable:
        return "untranslatable"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a FutureWarning means Python would read the class otherwise one day
        compiled = re.compile(source, value)
    return bool(compiled.fullmatch(text) if anchored else compiled.search(text))


def _require(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        if tool == "node" and os.environ.get("TRACERTM_REQUIRE_NODE") == "1":
            pytest.fail("TRACERTM_REQUIRE_NODE=1 but node is not installed")
        pytest.skip(f"{tool} is not installed")
    return found


def test_javascript_regexes_mean_what_node_says() -> None:
    node = _require("node")
    script = (
        "const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(cases.map(([p, f, t]) => new RegExp(p, f).test(t))));"
    )
    out = subprocess.run([node, "-e", script], input=json.dumps(JS_CASES), capture_output=True, text=True,
                         check=True, timeout=60)
    expected = json.loads(out.stdout)
    got = [_python(p, f, "javascript", t) for p, f, t in JS_CASES]
    assert got == expected, [(case, e, g) for case, e, g in zip(JS_CASES, expected, got) if e != g]


# (pattern, whether node's RegExp takes it with the u flag): there only the syntax characters ^$\\.*+?()[]{}| and /
# escape themselves, and - inside a class; \- \" \  \é are syntax errors ("Invalid escape"), which tracertm took
# for the character (found by a differential run against node).
JS_U_ESCAPES = [
    (r"^I pay \-5$", False), (r'^I say \"hi\"$', False), (r"^a\ b$", False), ("^caf\\é$", False),
    (r"^a\@b\,c$", False), ("^x[\\é]$", False), (r"^\u{1F600}\_$", False),
    (r"^[\-\/.]+$", True), (r"^a\/b\.c\$ \(\{\}\)\|\^\*\+\?\[\]\\$", True),
]


# (pattern, flags, whether node's RegExp takes it): a quantified \b, \B, ^, $ ("Nothing to repeat") or lookbehind, a
# lookahead quantified with the u flag ("Invalid quantifier"), a lone ] or } with it ("Lone quantifier brackets") are
# syntax errors, which tracertm took (Python's re does, once \b is written as a group); found by a differential run.
JS_SYNTAX = [
    (r"^I see\b? it$", "", False), (r"^I see\B+it$", "", False), (r"^*I see$", "", False), (r"^I see$?", "", False),
    (r"^I (?<=I )?see$", "", False), (r"^I (?<!x){2}see$", "u", False), (r"^I (?=s)*see$", "u", False),
    (r"^I see {a: 1}$", "", True), (r"^I see a: 1}$", "u", False), (r"^I see a]$", "u", False),
    (r"^I (?=s)*see$", "", True), (r"^I (?!x){2}see$", "", True), (r"^I see\b\b$", "", True),
    (r"^I see [\]}]{2}\u{1F600}{2}$", "u", True), (r"^I see []]$", "", True), (r"^I see []]$", "u", False),
    (r"^I see a{2}?\\b*$", "u", True), (r"^I see a*+$", "", False), (r"^I see a{2}+$", "", False),
    (r"^I see a???$", "", False), (r"^I see a??(?:b)*?$", "", True),
]


def test_javascript_syntax_errors_are_refused_as_node_refuses_them() -> None:
    got = [_python(pattern, flags, "javascript", "") != "refused" for pattern, flags, _ in JS_SYNTAX]
    assert got == [taken for _, _, taken in JS_SYNTAX], [c for c, g in zip(JS_SYNTAX, got) if c[2] != g]
    node = _require("node")
    script = (
        "const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(cases.map(([p, f]) => { try { new RegExp(p, f); return true; }"
        "  catch (e) { return false; } })));"
    )
    out = subprocess.run([node, "-e", script], input=json.dumps(JS_SYNTAX), capture_output=True, text=True,
                         check=True, timeout=60)
    assert json.loads(out.stdout) == [taken for _, _, taken in JS_SYNTAX]


def test_sync_holds_a_javascript_step_file_whose_regex_node_refuses_as_an_error(git_repo: GitRepo) -> None:
    """Without the u flag too: sync checks such a regex when it reads the file, as it checks one with the flag."""
    git_repo.write("features/step_definitions/s.js", (
        "const { Given } = require('@cucumber/cucumber');\nGiven(/^I see\\b it$/, function () {});\n"))
    git_repo.commit()
    assert run_cli("sync", str(git_repo.path)).returncode == 0
    git_repo.write("features/step_definitions/s.js", git_repo.read("features/step_definitions/s.js").replace(
        "\\b it", "\\b? it"))
    git_repo.commit()
    result = run_cli("sync", str(git_repo.path))
    assert result.returncode == 1
    assert ("features/step_definitions/s.js:2:1: step definition '/^I see\\\\b? it$/' regex does not compile in "
            "JavaScript: the quantifier at index 8 repeats the assertion \\b") in result.stdout + result.stderr
    shown = run_cli("show", "STEP-1", "--path", str(git_repo.path), "--format", "json")
    assert json.loads(shown.stdout)["pattern"] == "^I see\\b it$"  # the file's rows stay as they were


def test_javascript_escapes_with_the_u_flag_are_refused_as_node_refuses_them() -> None:
    got = [_python(pattern, "u", "javascript", "") != "refused" for pattern, _ in JS_U_ESCAPES]
    assert got == [taken for _, taken in JS_U_ESCAPES], [c for c, g in zip(JS_U_ESCAPES, got) if c[1] != g]
    # Without the u flag each is the character itself, as in node.
    assert _python(r"^I pay \-5$", "", "javascript", "I pay -5") is True
    assert _python("^caf\\é$", "", "javascript", "café") is True
    node = _require("node")
    script = (
        "const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(cases.map(([p]) => { try { new RegExp(p, 'u'); return true; }"
        "  catch (e) { return false; } })));"
    )
    out = subprocess.run([node, "-e", script], input=json.dumps(JS_U_ESCAPES), capture_output=True, text=True,
                         check=True, timeout=60)
    assert json.loads(out.stdout) == [taken for _, taken in JS_U_ESCAPES]


def test_java_regexes_mean_what_java_says_or_are_refused_as_java_refuses(tmp_path: Path) -> None:
    java = _require("java")
    source = tmp_path / "Oracle.java"
    source.write_text(
        "import java.util.regex.*;\n"
        "public class Oracle { public static void main(String[] a) {\n"
        "  for (int i = 0; i + 1 < a.length; i += 2) {\n"
        "    try { System.out.println(Pattern.compile(text(a[i])).matcher(text(a[i + 1])).matches()); }\n"
        "    catch (PatternSyntaxException e) { System.out.println(\"refused\"); } } }\n"
        # Arguments in base64: the platform's encoding of a command line may not carry U+2028 or NEL.
        "  static String text(String b) { return new String(java.util.Base64.getDecoder().decode(b),\n"
        "    java.nio.charset.StandardCharsets.UTF_8); } }\n",
        encoding="utf-8",
    )
    args = [base64.b64encode(part.encode()).decode() for case in JAVA_CASES for part in case]
    out = subprocess.run([java, str(source), *args], capture_output=True, text=True, check=True, timeout=120)
    expected = [line if line == "refused" else line == "true" for line in out.stdout.split()]
    got = [_python(p, "", "java", t, anchored=True) for p, t in JAVA_CASES]
    for case, want, have in zip(JAVA_CASES, expected, got):
        # What Python cannot say is a finding, never a wrong verdict.
        assert have == want or have == "untranslatable", (case, want, have)
    assert got[:2] == ["refused", "refused"]


def test_javascript_and_java_regexes_without_a_java_or_node_at_hand() -> None:
    """The verdicts above that matter most, kept when neither engine is installed."""
    assert _python(r"^brackets []x]$", "", "javascript", "brackets x") is False
    assert _python(r"^code point \u{1F600}$", "u", "javascript", "code point \U0001F600") is True
    assert _python(r"^control \cJ?ok$", "", "javascript", "control \nok") is True
    assert _python(r"I pay {int}$", "", "java", "I pay {int}") == "refused"
    assert _python(r"^letter [a-z&&[^aeiou]]$", "", "java", "letter b") == "untranslatable"
    assert _python(r"^a {b$", "u", "javascript", "a {b") == "refused"
    assert _python(r"^(a)?b\1$", "", "javascript", "b") is True
    assert _python(r"^b$", "m", "javascript", "a\u2028b") is True
    assert _python(r"^(a)?b\1$", "", "java", "b", anchored=True) is False  # Java's fails, as Python's
    assert _python(r"^[[:alpha:]]+$", "", "go", "abc") is True
    assert _python(r"^[[:alpha:]]+$", "", "ruby", "abc") == "untranslatable"  # Ruby's are Unicode classes
    assert _python(r"^say .$", "", "javascript", "say \u2028") is False
    assert _python(r"^say .$", "s", "javascript", "say \u2028") is True
    assert _python(r"^gap x\sy$", "", "javascript", "gap x\x1cy") is False
    assert _python(r"^gap x[\S]y$", "", "javascript", "gap x\ufeffy") is False
    assert _python(r"say .", "", "java", "say \x85", anchored=True) is False
    assert _python(r"say (?s).|x", "", "java", "say \x85", anchored=True) is True
    assert _python(r"^x[\D]y$", "", "javascript", "x\u0663y") is True
    assert _python(r"^x[^\W]y$", "", "javascript", "xéy") is False
    assert _python(r"^x[a\W]y$", "i", "javascript", "xAy") is True
    assert _python(r"^x[\W]y$", "", "go", "xéy") is True
    assert _python(r"^x[^\W]y$", "", "ruby", "xéy") is False
    assert _python(r"^x[\D]y$", "", "csharp", "x\u0663y") is False  # .NET's \d is Unicode


def test_dotnet_white_space_is_its_documented_set() -> None:
    """.NET's ``\\s`` is ``[\\f\\n\\r\\t\\v\\x85\\p{Z}]`` (Python's str ``\\s`` also takes \\x1c-\\x1f); its
    ``.`` stops at \\n alone, as Python's, and so do Ruby's and Go's."""
    separators = {c for c in map(chr, range(0x110000)) if unicodedata.category(c) in ("Zs", "Zl", "Zp")}
    spaces = separators | set("\f\n\r\t\v\x85")
    source, flags = translate(r"^\s$", "", "csharp")
    assert {c for c in map(chr, range(0x110000)) if re.match(source, c, flags)} == spaces
    assert _python(r"^a[\S]b$", "", "csharp", "a\x1cb") is True
    for language in ("csharp", "ruby", "go"):
        assert _python(r"^a.b$", "", language, "a\u2028b") is True


def test_what_tracertm_writes_it_reads_alike_again() -> None:
    """The translation of a regex is translated alike again (a declared parameter type's regex is, inside its
    expression's)."""
    for pattern, flags, language in [(r"^a(?s:.)b.[\S\s]\w\b(?#c(.)(?-s:.)$", "", "javascript"),
                                     (r"a(?s).b|c\s.", "", "java"), (r"^(?x) a . # b\s$", "", "ruby"),
                                     (r"^a.\S[^\s]\b$", "s", "javascript"), (r"\s\S[\s\S]", "", "csharp"),
                                     ("(?x)(?s:a # )\n .) .", "", "java"), (r"[\S-]\S[^\S]\s", "", "go"),
                                     (r"[\D][^a\W](?i:[b\W])[\w\W]", "", "java")]:
        source, value = translate(pattern, flags, language)
        assert language_classes(source, language, value) == source, (pattern, language)


def test_check_reports_what_the_engines_refuse_and_what_tracertm_cannot_translate(git_repo: GitRepo) -> None:
    git_repo.write(".tracertm.toml", 'feature_paths = ["src/test/resources/**/*.feature", "features/**/*.feature"]\n')
    git_repo.write("src/test/java/steps/Steps.java", (
        "package steps;\nimport io.cucumber.java.en.Given;\npublic class Steps {\n"
        '    @Given("I pay {int}$") public void pay(int n) {}\n'
        '    @Given("^letter [a-z&&[^aeiou]]$") public void letter() {}\n}\n'))
    git_repo.write("src/test/resources/features/a.feature", "Feature: f\n  Scenario: s\n    Given letter b\n")
    git_repo.write("features/step_definitions/s.js", (
        "const { Given, defineParameterType } = require('@cucumber/cucumber');\n"
        "defineParameterType({ name: 'flagged', regexp: /abc/i });\n"
        "defineParameterType({ name: 'letters', regexp: /\\p{L}+/u });\n"
        "Given('flagged {flagged}', function (a) {});\n"
        "Given('letters {letters}', function (a) {});\n"
        "Given(/^brackets []x]$/, function () {});\n"))
    git_repo.write("features/b.feature", "Feature: g\n  Scenario: t\n    Given brackets x\n")
    git_repo.commit()
    result = run_cli("check", str(git_repo.path))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    js = "features/step_definitions/s.js"
    assert any(line.startswith("src/test/java/steps/Steps.java:4:5: step definition 'I pay {int}$' regex does "
                               "not compile in Java: '{' at index 6") for line in lines), lines
    assert any(line.startswith("src/test/java/steps/Steps.java:5:5: warning: ") and "class intersection (&&)" in line
               for line in lines), lines
    assert f"{js}:2:1: parameter type 'flagged' cannot be used: ParameterType Regexps can't use flag 'i'" in \
        result.stdout
    assert f"{js}:4:1: step definition 'flagged {{flagged}}' uses the parameter type {{flagged}}, which cannot be " \
        f"used: see {js}:2" in result.stdout
    # A type tracertm cannot translate is declared: a warning that says so, never "no defineParameterType declares".
    assert f"{js}:5:1: warning: step definition 'letters {{letters}}' uses the parameter type {{letters}}, which " \
        f"cannot be used: see {js}:3" in result.stdout
    assert "declares" not in result.stdout
    assert "features/b.feature:3:5: warning: undefined step 'Given brackets x'" in result.stdout
    assert "Warning" not in result.stderr and "regex.py" not in result.stderr, result.stderr


def test_a_javascript_syntax_error_is_located_where_the_broken_code_starts(git_repo: GitRepo) -> None:
    git_repo.write("features/step_definitions/broken.js", (
        "const { Given } = require('@cucumber/cucumber');\n"
        "Given('sneaky', function () {\n"
        "Given('after error', () => {});\n"))
    git_repo.write("features/a.feature", "Feature: f\n  Scenario: s\n    Given after error\n")
    git_repo.commit()
    result = run_cli("check", str(git_repo.path))
    assert "features/step_definitions/broken.js:2:1: javascript syntax error" in result.stdout, result.stdout
    assert "after error" not in result.stdout  # the definition after the broken one still counts: matched


def test_python_patterns_python_would_warn_about_raise_no_warning(git_repo: GitRepo) -> None:
    git_repo.write("features/steps/s.py", (
        "from behave import given, use_step_matcher\nuse_step_matcher('re')\n"
        "@given(r'a set [[a]+ of [&&]+ things')\ndef step_set(context):\n    pass\n"))
    git_repo.write("features/a.feature", "Feature: f\n  Scenario: s\n    Given a set [a of && things\n")
    git_repo.commit()
    for argv in (("check", str(git_repo.path)), ("steps", str(git_repo.path))):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = run_cli(*argv)
        assert result.returncode == 0, result.stdout + result.stderr
        assert not [w for w in caught if issubclass(w.category, FutureWarning)], [str(w.message) for w in caught]
    # The pattern means what Python reads in it today: [ and && are literal in its classes.
    assert _python(r"a set [[a]+ of [&&]+ things", "", "python", "a set [a of && things", anchored=True) is True


def test_sync_holds_a_java_step_file_whose_regex_java_refuses_as_an_error(git_repo: GitRepo) -> None:
    git_repo.write("src/test/java/steps/Steps.java", (
        "package steps;\nimport io.cucumber.java.en.Given;\npublic class Steps {\n"
        '    @Given("^I pay \\\\{int\\\\}$") public void pay(int n) {}\n}\n'))
    git_repo.commit()
    assert run_cli("sync", str(git_repo.path)).returncode == 0
    git_repo.write("src/test/java/steps/Steps.java", git_repo.read("src/test/java/steps/Steps.java").replace(
        "\\\\{int\\\\}", "{int}"))
    git_repo.commit()
    result = run_cli("sync", str(git_repo.path))
    assert result.returncode == 1
    assert "src/test/java/steps/Steps.java:4:5: step definition '^I pay {int}$' regex does not compile in Java" in \
        result.stdout + result.stderr
    shown = run_cli("show", "STEP-1", "--path", str(git_repo.path), "--format", "json")
    assert json.loads(shown.stdout)["pattern"] == "^I pay \\{int\\}$"  # the file's rows stay as they were


def test_a_javascript_regex_with_the_g_or_y_flag_is_refused(git_repo: GitRepo) -> None:
    """cucumber-js matches each step twice with the definition's RegExp; with ``g`` or ``y`` the second match starts
    where the first ended and fails ("Cannot read properties of null (reading 'map')", a dry run too): an audit
    found tracertm counting such a step defined."""
    assert _python(r"^flagged$", "g", "javascript", "flagged") == "refused"
    assert _python(r"^flagged$", "y", "typescript", "flagged") == "refused"
    assert _python(r"^flagged$", "i", "javascript", "FLAGGED") is True
    git_repo.write("features/step_definitions/s.js", (
        "const { Given } = require('@cucumber/cucumber');\nGiven(/^flagged$/g, function () {});\n"))
    git_repo.write("features/a.feature", "Feature: f\n  Scenario: s\n    Given flagged\n")
    git_repo.commit()
    result = run_cli("check", str(git_repo.path))
    assert result.returncode == 1
    assert ("features/step_definitions/s.js:2:1: step definition '/^flagged$/g' regex does not compile in JavaScript: "
            "with the g flag the regex remembers where its last match ended") in result.stdout, result.stdout
    assert "features/a.feature:3:5: warning: undefined step 'Given flagged'" in result.stdout


def test_cucumber_refuses_a_parameter_type_declared_twice_or_with_an_illegal_name(git_repo: GitRepo) -> None:
    """cucumber-js does not start ("There is already a parameter type with name ab", "Illegal character in
    parameter name {a(b}"): an audit found tracertm silent on both, the duplicate because its regex was the same, the
    name because the Python port of cucumber-expressions looks at a name's first character only. behave re-registers
    a type of the same regex harmlessly: no finding there."""
    git_repo.write("features/step_definitions/s.js", (
        "const { Given, defineParameterType } = require('@cucumber/cucumber');\n"
        "defineParameterType({ name: 'ab', regexp: /ab/ });\n"
        "defineParameterType({ name: 'ab', regexp: /ab/ });\n"
        "defineParameterType({ name: 'a(b', regexp: /ab/ });\n"
        "Given('p {ab} end', function (a) {});\n"))
    git_repo.write("features/steps/a.py", "from behave import register_type\nregister_type(Num=int)\n")
    git_repo.write("features/steps/b.py", "from behave import register_type\nregister_type(Num=int)\n")
    git_repo.write("features/a.feature", "Feature: f\n  Scenario: s\n    Given p ab end\n")
    git_repo.commit()
    result = run_cli("check", str(git_repo.path))
    js = "features/step_definitions/s.js"
    assert result.returncode == 1
    assert f"{js}:3:1: parameter type 'ab' is already declared at {js}:2; rename one" in result.stdout, result.stdout
    assert (f"{js}:4:1: parameter type 'a(b': Illegal character in parameter name {{a(b}}. Parameter names may not "
            "contain '[]()$.|?*+' (cucumber refuses to start) — rename it") in result.stdout, result.stdout
    assert "features/steps/" not in result.stdout, result.stdout


def test_behave_registering_a_type_name_again_is_a_warning_not_an_error(git_repo: GitRepo) -> None:
    """behave's ``register_type`` replaces a type for the steps defined after it (each parse pattern is compiled with
    the types of its moment): an audit found tracertm calling a second registration an error behave does not have.
    It is a warning now, saying tracertm matches with the first."""
    for name, colours, noun in (("a", '["red", "blue"]', "car"), ("b", '["green", "yellow"]', "bike")):
        git_repo.write(f"features/steps/{name}_steps.py", (
            "from behave import given, register_type\nfrom parse_type import TypeBuilder\n"
            f"register_type(Color=TypeBuilder.make_choice({colours}))\n"
            f"@given('a {{c:Color}} {noun}')\ndef s_{name}(context, c):\n    pass\n"))
    git_repo.write("features/a.feature", "Feature: f\n  Scenario: s\n    Given a red car\n")
    git_repo.commit()
    result = run_cli("check", str(git_repo.path))
    assert result.returncode == 0, result.stdout
    assert ("features/steps/b_steps.py:3:1: warning: parameter type 'Color' is registered again with another pattern "
            "(first at features/steps/a_steps.py:3)") in result.stdout, result.stdout
