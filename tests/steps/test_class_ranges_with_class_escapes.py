"""A class escape (``\\d``, ``\\w``, ``\\s`` and their complements; Java's ``\\h``; Ruby's hex ``\\h``) at an end
of a range inside a character class, as each engine reads it: JavaScript without the u flag takes the ``-`` as
itself (``[+-\\d]`` is +, - and the digits, Annex B), with it refuses both ends; Java, Go and .NET take
``[\\d-z]`` (a literal -) and refuse ``[a-\\d]``; Ruby refuses both. tracertm read ``[+-\\d]`` as Python's range
``+-0`` (no 5: steps left undefined), and took the refused ones (``[\\w-.]`` in Ruby, very common) as matching —
where cucumber does not load. Checked against node, java and ruby themselves when they are installed (found by a
differential run)."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import GitRepo, run_cli
from tracertm.steps.regex import Refused, translate

TEXTS = ["-", "+", "5", "z", "a", "c", ".", " ", "\t", ","]
# (pattern, flags, language): each class-range pattern, judged on every text of TEXTS.
CASES = [
    *((p, f, "javascript") for p in (r"[+-\d]", r"[a-\d]", r"[\d-z]", r"[\s-\d]", r"[\w-.]", r"[\w-]", r"[-\w]",
                                    r"[a-c-\d]", r"[\x41-\D]") for f in ("", "u")),
    *((p, "", lang) for p in (r"[+-\d]", r"[a-\d]", r"[\d-z]", r"[\w-.]", r"[\w-]", r"[-\s]", r"[\h-z]", r"[+-\h]")
      for lang in ("java", "ruby")),
]


def _verdict(pattern: str, flags: str, language: str) -> list[str] | str:
    """The texts tracertm's translation of ``^pattern$`` matches whole, or ``"refused"``."""
    try:
        source, value = translate(f"^{pattern}$", flags, language)
    except Refused:
        return "refused"
    compiled = re.compile(source, value)
    return [t for t in TEXTS if compiled.fullmatch(t)]


def test_the_verdicts_that_matter_without_the_engines_at_hand() -> None:
    assert _verdict(r"[+-\d]", "", "javascript") == ["-", "+", "5"]  # a range +-0 before: "+", ",", "-", "."
    assert _verdict(r"[a-\d]", "", "javascript") == ["-", "5", "a"]  # Python's re refused the range a-0 before
    assert _verdict(r"[+-\d]", "u", "javascript") == "refused"
    assert _verdict(r"[\d-z]", "u", "javascript") == "refused"
    assert _verdict(r"[\w-]", "u", "javascript") != "refused"
    assert _verdict(r"[+-\d]", "", "java") == "refused"
    assert _verdict(r"[\d-z]", "", "java") == ["-", "5", "z"]
    assert _verdict(r"[\w-.]", "", "ruby") == "refused"
    assert _verdict(r"[\w-]", "", "ruby") != "refused"
    assert _verdict(r"[+-\d]", "", "go") == "refused"  # RE2: "invalid escape sequence"
    assert _verdict(r"[\d-z]", "", "go") == ["-", "5", "z"]
    assert _verdict(r"[+-\d]", "", "csharp") == "refused"
    assert _verdict(r"[\w-.]", "", "csharp") == ["-", "5", "z", "a", "c", "."]


def _require(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        pytest.skip(f"{tool} is not installed")
    return found


def test_javascript_class_ranges_mean_what_node_says() -> None:
    node = _require("node")
    cases = [(p, f) for p, f, language in CASES if language == "javascript"]
    script = (
        "const [cases, texts] = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(cases.map(([p, f]) => { let re; try { re = new RegExp('^' + p + '$', f); }"
        "  catch (e) { return 'refused'; } return texts.filter(t => re.test(t)); })));"
    )
    out = subprocess.run([node, "-e", script], input=json.dumps([cases, TEXTS]), capture_output=True, text=True,
                         check=True, timeout=60)
    expected = json.loads(out.stdout)
    got = [_verdict(p, f, "javascript") for p, f in cases]
    assert got == expected, [(c, e, g) for c, e, g in zip(cases, expected, got) if e != g]


def test_java_class_ranges_mean_what_java_says(tmp_path: Path) -> None:
    java = _require("java")
    source = tmp_path / "Oracle.java"
    source.write_text(
        "import java.util.regex.*;\n"
        "public class Oracle { public static void main(String[] a) {\n"
        "  String[] texts = text(a[0]).split(\"\\n\", -1);\n"
        "  for (int i = 1; i < a.length; i++) {\n"
        "    Pattern p; try { p = Pattern.compile(\"^\" + text(a[i]) + \"$\"); }\n"
        "    catch (PatternSyntaxException e) { System.out.println(\"refused\"); continue; }\n"
        "    StringBuilder out = new StringBuilder();\n"
        "    for (String t : texts) if (p.matcher(t).matches()) out.append(out.length() > 0 ? \",\" : \"\").append(\n"
        "      java.util.Base64.getEncoder().encodeToString(t.getBytes(java.nio.charset.StandardCharsets.UTF_8)));\n"
        "    System.out.println(\"[\" + out + \"]\"); } }\n"
        "  static String text(String b) { return new String(java.util.Base64.getDecoder().decode(b),\n"
        "    java.nio.charset.StandardCharsets.UTF_8); } }\n",
        encoding="utf-8",
    )
    cases = [p for p, _, language in CASES if language == "java"]
    args = [base64.b64encode(part.encode()).decode() for part in ("\n".join(TEXTS), *cases)]
    out = subprocess.run([java, str(source), *args], capture_output=True, text=True, check=True, timeout=120)
    expected = [line if line == "refused" else [base64.b64decode(t).decode() for t in line[1:-1].split(",") if t]
                for line in out.stdout.splitlines()]
    got = [_verdict(p, "", "java") for p in cases]
    assert got == expected, [(c, e, g) for c, e, g in zip(cases, expected, got) if e != g]


def test_ruby_class_ranges_mean_what_ruby_says() -> None:
    ruby = _require("ruby")
    cases = [p for p, _, language in CASES if language == "ruby"]
    script = (
        "require 'json'; cases, texts = JSON.parse($stdin.read)\n"
        "puts JSON.generate(cases.map { |p| begin; re = Regexp.new('\\A' + p + '\\z')\n"
        "  texts.select { |t| re.match?(t) }; rescue RegexpError; 'refused'; end })\n"
    )
    out = subprocess.run([ruby, "-W0", "-e", script], input=json.dumps([cases, TEXTS]), capture_output=True,
                         text=True, check=True, timeout=60)
    expected = json.loads(out.stdout)
    got = [_verdict(p, "", "ruby") for p in cases]
    assert got == expected, [(c, e, g) for c, e, g in zip(cases, expected, got) if e != g]


def test_steps_and_sync_read_class_ranges_as_the_frameworks_do(git_repo: GitRepo) -> None:
    """cucumber-js runs ``[+-\\d]`` on "+5" (tracertm left the step undefined); cucumber-ruby does not load a step
    file with ``[\\w-.]``: an error at the definition, in ``check`` and ``sync`` (the file's rows kept)."""
    js, rb = "features/step_definitions/pay.js", "features/step_definitions/mail.rb"
    git_repo.write(js, "const { Given } = require('@cucumber/cucumber');\n"
                       "Given(/^I pay ([+-\\d]+) euros$/, function (n) {});\n")
    git_repo.write(rb, "Given(/^a mail to ([\\w.]+)$/) do |who| end\n")
    git_repo.write("features/a.feature", "Feature: f\n  Scenario: s\n    Given I pay +5 euros\n"
                                         "    And a mail to ann.lee\n")
    git_repo.commit()
    assert run_cli("sync", str(git_repo.path)).returncode == 0
    steps = json.loads(run_cli("steps", str(git_repo.path), "--format", "json").stdout)
    assert steps["undefined"] == []
    used = {d["pattern"]: d["usage_count"] for d in steps["definitions"]}
    assert used == {"^I pay ([+-\\d]+) euros$": 1, "^a mail to ([\\w.]+)$": 1}

    git_repo.write(rb, "Given(/^a mail to ([\\w-.]+)$/) do |who| end\n")
    git_repo.commit()
    result = run_cli("check", str(git_repo.path))
    assert result.returncode == 1
    assert (f"{rb}:1:1: step definition '/^a mail to ([\\\\w-.]+)$/' regex does not compile in Ruby: the range at "
            "index 15 has the class \\w at its start: Ruby refuses it (unmatched range specifier in char-class) — "
            "escape the '-' as \\- (or move it to the end of the class)") in result.stdout, result.stdout
    synced = run_cli("sync", str(git_repo.path))
    assert synced.returncode == 1
    assert f"{rb}:1:1: step definition '/^a mail to ([\\\\w-.]+)$/' regex does not compile in Ruby" in \
        synced.stdout + synced.stderr
    shown = json.loads(run_cli("show", f"{rb}::given(^a mail to ([\\w.]+)$)", "--path", str(git_repo.path),
                               "--format", "json").stdout)
    assert shown["pattern"] == "^a mail to ([\\w.]+)$"  # the file's rows stay as they were
