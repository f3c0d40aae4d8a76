"""A minified step file nests deep: ``a=1+1+…+1`` is one level of tree-sitter's tree per operand. Walking the tree
with a stack of nodes held a Python object for each sibling of every node on the path down — beside the tree, more
than it (a 4 MB file: 1.6 GB resident, 11 s; now 0.9 GB, the tree's own, and 7 s). The walk goes by tree-sitter's
cursor now: a file's parse costs its tree and little more, and still finds every definition, in source order."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from tracertm.parsers import parse
from tracertm.steps.syntax import parse_tree

OPERANDS = 50_000
CASES = {
    "features/step_definitions/min.js": (
        "javascript", "const { Given, When } = require('@cucumber/cucumber');\nGiven('a', function () {});\n"
                      "var a=" + "1+" * OPERANDS + "1;When('b', function () {});\n"),
    "src/test/java/Min.java": (
        "java", "import io.cucumber.java.en.*;\nclass Min {\n  @Given(\"a\")\n  public void a() {}\n"
                "  int x = " + "1+" * OPERANDS + "1;\n  @When(\"b\")\n  public void b() {}\n}\n"),
}


def _peak(call: object) -> int:
    tracemalloc.start()
    try:
        call()  # type: ignore[operator]
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("path", list(CASES))
def test_a_deep_expression_costs_about_its_tree(path: str) -> None:
    language, text = CASES[path]
    data = text.encode()
    parse("step_definition", path, data)  # imports and grammars loaded before the measure
    tree = _peak(lambda: parse_tree(language, data))
    whole = _peak(lambda: parse("step_definition", path, data))
    # was: about twice the tree (the stack of nodes); now the tree, the cursor's path and the parser's own (1.2)
    assert whole < 1.6 * tree, (whole, tree)
    result = parse("step_definition", path, data)
    lines = (2, 3) if language == "javascript" else (3, 6)
    assert [(r.fields["pattern"], r.line) for r in result.records] == [("a", lines[0]), ("b", lines[1])]


def test_step_calls_nested_deep_are_read_in_time_linear_in_the_file() -> None:
    """Generated code nests step calls (``x = [Given('a 1', f), [Given('a 2', f), …]]``): each call's name was
    resolved by climbing the tree to the scopes binding it, through tree-sitter's ``parent``, which itself searches
    down from the root — the cube of the depth: 1,000 levels (17 KB) took 10 s, 2,000 over two minutes. The walk
    now carries the enclosing scopes (``syntax.walk_scoped``); a scope that renames ``Given`` still holds inside it
    and only there."""
    levels = 1_500
    data = ("const { Given } = require('@cucumber/cucumber');\nx = "
            + "".join(f"[Given('a {i}', f), " for i in range(levels)) + "1" + "]" * levels + ";\n"
            "{ const { Before: Given } = require('@cucumber/cucumber'); Given(f); }\nGiven('last', f);\n").encode()
    started = time.process_time()
    result = parse("step_definition", "features/step_definitions/generated.js", data)
    spent = time.process_time() - started
    assert spent < 10, spent  # now about 0.1 s; before, 15 s (CPU time: the machine's load does not count)
    assert [r.fields["pattern"] for r in result.records] == [f"a {i}" for i in range(levels)] + ["last"]


NESTED = {
    # (few tokens a level: the file stays under the step files' token limit, ``steps.size_limit``)
    "Steps/Nested.cs": lambda i: f"class C{i} {{\n[Given(\"a{i}\")]\nvoid A{i}() {{}}\n",
    "src/test/java/Nested.java": lambda i: f"class C{i} {{\n@Given(\"a{i}\")\nvoid a{i}() {{}}\n",
    "src/test/kotlin/Nested.kt": lambda i: f"class C{i} {{\n  @Given(\"a{i}\")\n  fun a{i}() {{\n  }}\n",
}

HEADS = {"cs": "using Reqnroll;\n[Binding]\n", "java": "import io.cucumber.java.en.*;\n",
         "kt": "import io.cucumber.java.en.*\n"}


@pytest.mark.parametrize("path", list(NESTED))
def test_classes_nested_deep_are_read_in_time_linear_in_the_file(path: str) -> None:
    """Each attribute's or annotation's method (and C#'s class of it, Java's class of a constant) was found with
    tree-sitter's ``parent``, which searches down from the root: 12,000 nested classes (about 700 KB) took 11 s
    (Java), 40 s (C#) and 17 s (Kotlin), a 4 MB file hours; these 11,000 (under the step files' token limit) take
    about 0.77 of that. The walk now carries the ancestors it needs (``syntax.walk_scoped``)."""
    levels = 11_000
    head = HEADS[path.rsplit(".", 1)[1]]
    data = (head + "".join(NESTED[path](i) for i in range(levels)) + "}\n" * levels).encode()
    started = time.process_time()
    result = parse("step_definition", path, data)
    spent = time.process_time() - started
    assert spent < 5, spent  # now under 1 s (CPU time: the machine's load does not count)
    assert [r.fields["pattern"] for r in result.records] == [f"a{i}" for i in range(levels)]
