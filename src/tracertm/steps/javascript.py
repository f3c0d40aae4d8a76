"""JavaScript / TypeScript step files (cucumber-js, playwright-bdd) → step definitions, with tree-sitter.

Calls ``Given/When/Then/Step/defineStep(pattern, fn)`` (also as ``x.Given(...)``, as ``G(...)`` after ``import { Given
as G }`` / ``const { Given: G } = …`` / ``const G = x.Given`` / ``const G = Given``, by scope, and the ``@Given(...)``
decorators of playwright-bdd) where ``pattern`` is a string or template literal (a Cucumber Expression), a RegExp
literal (a regex), or an array of those (playwright-bdd aliases); ``defineParameterType({name, regexp})``. A file that
imports ``playwright-bdd`` or calls ``createBdd`` is playwright-bdd, and so is one that does not import
``@cucumber/cucumber`` but tags its steps; otherwise cucumber-js. playwright-bdd's tags — a step's ``{ tags: '…' }``,
the ``@tag`` parts of its file's path and a decorator step's class's ``@Fixture({ tags })`` — are the definition's
``scopes`` (``steps.lens.tagged``). In a file that imports cucumber-tsflow, its ``@given/@when/@then(pattern, tag?)``
decorators on the methods of a ``@binding()`` class are cucumber-js definitions: the LynxWall fork's tag is their
scope (``steps.lens.tsflow_tagged``); cucumber-tsflow's (4.0 on) is ignored, its bindings registered in order
(``_Registered``). ``Step(this, '…')`` runs a step (@badeball/cypress-cucumber-preprocessor): no definition.
"""

from __future__ import annotations

import dataclasses
import re

from tracertm.errors import Diagnostic
from tracertm.steps.js_constants import Constants, Unbound
from tracertm.steps.js_constants import unwrapped as _unwrapped
from tracertm.steps.model import (
    Framework,
    Keyword,
    Parameter,
    ParameterTypeDecl,
    PatternKind,
    StepDefinition,
    StepFile,
    assign_identities,
)
from tracertm.steps.reqnroll import Scope
from tracertm.steps.syntax import (
    Node, column, excerpt, is_comment, line, parse_tree, string_value, syntax_errors, text, walk_scoped,
)

_KEYWORDS: dict[str, Keyword] = {"Given": "given", "When": "when", "Then": "then", "Step": "step",
                                 "defineStep": "step", "And": "step", "But": "step"}
_FUNCTIONS = ("function_expression", "function", "arrow_function", "generator_function")


def language_of(path: str) -> str:
    if path.endswith(".tsx"):
        return "tsx"
    if path.endswith((".ts", ".mts", ".cts")):
        return "typescript"
    return "javascript"


def parse(path: str, data: bytes) -> StepFile:
    language = language_of(path)
    lang_name = "typescript" if language in ("typescript", "tsx") else "javascript"
    if not _names_read(data):
        # cucumber-js loads every features/**/*.js (the default step_paths): its worlds, hooks, fixtures, bundles
        # name none of these, define nothing, and are not parsed — no cost, no finding about code that is no step's
        return StepFile(path, lang_name)
    root = parse_tree(language, data)
    source = text(root)
    bdd = "playwright-bdd" in source or "createBdd" in source
    framework: Framework = "playwright-bdd" if bdd else "cucumber-js"
    # cucumber-tsflow's ``@given/@when/@then`` decorators register cucumber-js steps (lower-case names that other
    # libraries use too: read only in a file importing it)
    tsflow = not bdd and _TSFLOW.search(source) is not None
    # The LynxWall fork still picks a pattern's binding by the scenario's tags; cucumber-tsflow (4.0 on) registers
    # the first binding of each pattern and keyword and ignores the tag (``_Registered``)
    by_tag = tsflow and _LYNXWALL.search(source) is not None
    errors = syntax_errors(path, root, data, lang_name)
    warnings: list[Diagnostic] = []
    registered = _Registered(path, data, warnings)
    definitions: list[StepDefinition] = []
    types: list[ParameterTypeDecl] = []
    names = _Names(root)
    fixtures = _Fixtures(path, data, names, warnings)
    constants = Constants(root)
    # playwright-bdd's steps often come from a project module (``import { Given } from './fixtures'``): a file that
    # does not import cucumber-js and scopes steps by tags (``{ tags }``, an ``@tag`` folder) is playwright-bdd's.
    from_path = path_tags(path)
    for node, above, enclosing in walk_scoped(root, lambda n: n.type in _BRANCHING or names.kept(n)):
        if node.type != "call_expression":
            continue
        callee = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        if callee is None or args is None:
            continue
        written = text(callee.child_by_field_name("property") if callee.type == "member_expression" else callee)
        # `G(...)` after `const { Given: G } = ...` / `import { Given as G } ...`: the function exported as Given
        name = names.resolve(node, written, enclosing) if callee.type == "identifier" else written
        values = [a for a in args.named_children if not is_comment(a)]
        if name == "defineParameterType" and values:
            declared = _parameter_type(path, data, values[0], framework, lang_name)
            if isinstance(declared, Diagnostic):
                errors.append(declared)
            else:
                types.append(declared)
            continue
        if name == "createBdd" and (default_tags := _tags(path, data, values, [])) is not None:
            # ``createBdd(test, { tags: '@mobile' })`` tags every step its functions define — mostly in other files
            # (``import { Given } from './fixtures'``), which tracertm reads one at a time.
            warnings.append(Diagnostic(
                path, line(node), column(node, data), "createBdd(...)'s tags are not read: tracertm takes the steps "
                "its functions define as untagged, which may make their steps ambiguous; tag each step instead "
                f"(Given('…', {{ tags: '{default_tags}' }}, …))", "warning"))
            continue
        keyword = _KEYWORDS.get(name)
        decorator = above[-1:] == ["decorator"]
        tsflow_step = keyword is None and tsflow and decorator and name in _TSFLOW_KEYWORDS
        if tsflow_step:
            keyword = _TSFLOW_KEYWORDS[name]
        if keyword is None or not values:
            continue
        if values[0].type == "this":
            # ``Step(this, 'I log in')`` (@badeball/cypress-cucumber-preprocessor) runs a step from inside another
            # one: a call, not a definition — no pattern is ever ``this``.
            continue
        # (a decorator is ``kept``: the innermost one kept when it is the call's parent)
        function, params = _glue(enclosing[-1] if decorator else None, values[1:])
        scopes: tuple[Scope, ...] = ()
        tags = None if tsflow else _tags(path, data, values[1:], warnings)
        # a decorator step's class's ``@Fixture({ tags })``: playwright-bdd's ``defaultTags`` of its steps
        fixture = fixtures.tags(enclosing[-1]) if decorator and not tsflow else None
        if tsflow_step:
            found_scopes = _tsflow_scopes(path, data, enclosing[-1], written, values[1:2], errors, warnings, by_tag)
            if found_scopes is None:
                continue
            scopes = found_scopes
        elif (framework == "cucumber-js" and (tags or fixture or from_path) and not tsflow
              and "@cucumber/cucumber" not in source):
            framework = "playwright-bdd"
            definitions = [dataclasses.replace(d, framework=framework) for d in definitions]
        if framework == "playwright-bdd" and (from_path or tags or fixture):
            # ``buildTagsExpression``: the path's tags, the fixture's, then the call's, each in parentheses, joined
            # with ``and`` (duplicates once)
            parts = list(dict.fromkeys([*from_path, *(t for t in (fixture, tags) if t)]))
            scopes = ((parts[0] if len(parts) == 1 else " and ".join(f"({t})" for t in parts), None, None),)
        # cucumber-js locates a definition at its call site, which V8 puts at the member's property for a member
        # call (``cucumber\n  .When(…)``: the ``.When`` line), at the call itself otherwise; on one line, the call.
        at = callee.child_by_field_name("property") if callee.type == "member_expression" else None
        at = at if at is not None and line(at) != line(node) else node
        found_patterns, unreadable = _patterns(path, data, written, constants, values[0])
        errors += unreadable
        branches = _alternatives(node, enclosing, data) if found_patterns and _BRANCHED & set(above) else ()
        for kind, pattern, flags in found_patterns:
            order = None
            if tsflow_step and not by_tag:
                order = registered.place(enclosing[-1], written, (keyword, kind == "regex", pattern, flags))
                if order is None:
                    continue
            definitions.append(StepDefinition(
                keyword=keyword, pattern=pattern, kind=kind, framework=framework, language=lang_name, path=path,
                line=line(at), column=column(at, data), function=function, parameters=params, flags=flags,
                scopes=scopes, label=f"@{written}" if tsflow_step else "",  # as written: @given('…')
                registration=order, alternatives=branches,
            ))
    return StepFile(path, lang_name, assign_identities(path, definitions), tuple(types), tuple(errors),
                    tuple(warnings))


# The statements whose branches exclude each other, and the parts of them the walk keeps to tell which branch a call
# is in (``_alternatives``).
_BRANCHED = {"if_statement", "try_statement"}
_BRANCHING = frozenset({*_BRANCHED, "else_clause", "catch_clause", "finally_clause"})


def _alternatives(node: Node, enclosing: list[Node], data: bytes) -> tuple[tuple[int, int, int], ...]:
    """The branches of ``if``/``else`` and ``try``/``catch`` statements the call ``node`` sits in, outermost first
    (``StepDefinition.alternatives``): an ``if``'s consequence 0, its ``else`` 1 (an ``else if`` is an ``if`` in
    it); a ``try``'s block 0, its ``catch`` 1 (its ``finally`` runs either way, an ``if``'s condition too: none).
    A ``switch``'s cases fall through: not alternatives. ``enclosing``: the walk's kept ancestors of ``node``
    (``_BRANCHING`` among them), outermost first — read from the walk, not by climbing the tree (``walk_scoped``)."""
    out: list[tuple[int, int, int]] = []
    for i, statement in enumerate(enclosing):
        if statement.type not in _BRANCHED:
            continue
        inner = enclosing[i + 1] if i + 1 < len(enclosing) else None
        if statement.type == "if_statement":
            condition = statement.child_by_field_name("condition")
            if condition is not None and node.end_byte <= condition.end_byte:
                continue  # the condition runs whichever branch follows
            branch = 1 if inner is not None and inner.type == "else_clause" else 0
        elif inner is not None and inner.type == "finally_clause":
            continue
        else:
            branch = 1 if inner is not None and inner.type == "catch_clause" else 0
        out.append((line(statement), column(statement, data), branch))
    return tuple(out)


# The names a definition, a parameter type or a finding needs in its file's text (a renamed binding still names its
# function where it is bound: ``import { Given as G }``; a tsflow file imports cucumber-tsflow).
_NAMES_READ = re.compile(
    rb"\b(?:Given|When|Then|Step|defineStep|And|But|defineParameterType|createBdd)\b|cucumber-tsflow")


def _names_read(data: bytes) -> bool:
    """Whether the file's text names one of ``_NAMES_READ`` outside a comment that starts its line (``// Step 2:
    fixtures``, a JSDoc block's ``* Given …``: a fixture file's header must not make a finding of it). A name after
    code, in a string or after a comment that closes on its line is read: a false positive costs a parse only."""
    for match in _NAMES_READ.finditer(data):
        head = data[data.rfind(b"\n", 0, match.start()) + 1:match.start()].lstrip(b" \t")
        if head.startswith(b"//") or (head.startswith((b"/*", b"*")) and b"*/" not in head):
            continue
        return True
    return False


# ``import { binding, given } from "cucumber-tsflow"`` (also the ``@lynxwall/cucumber-tsflow`` fork, or ``require``)
_TSFLOW = re.compile(r"""['"](?:@[\w.-]+/)?cucumber-tsflow['"]""")
_LYNXWALL = re.compile(r"""['"]@lynxwall/cucumber-tsflow['"]""")
_TSFLOW_KEYWORDS: dict[str, Keyword] = {"given": "given", "when": "when", "then": "then"}


def _class_of(decorator: Node) -> Node | None:
    """The class whose method ``decorator`` decorates."""
    owner = decorator.parent
    while owner is not None and owner.type not in _CLASSES:
        owner = owner.parent
    return owner


def _tsflow_scopes(path: str, data: bytes, decorator: Node, written: str, tag: list[Node],
                   errors: list[Diagnostic], warnings: list[Diagnostic], by_tag: bool) -> tuple[Scope, ...] | None:
    """The scope of a cucumber-tsflow step decorator (``@given(pattern, tag?, timeout?)``). ``by_tag`` (the
    LynxWall fork): its tag, as a tag expression of that one tag (``steps.lens.tsflow_tagged``: of the bindings of
    one pattern, those whose tag the scenario has win, else the untagged ones). cucumber-tsflow 4.0 and later hands
    the tag to cucumber-js's ``Given(pattern, { tags })``, which ignores tags on steps: no scope, and a tag is a
    warning. None when it defines no step: its class has no ``@binding()`` (only that decorator registers the
    class's steps with cucumber: a warning), or the fork's tag cannot be read or never matches (an error)."""
    owner = _class_of(decorator)
    around = [owner, owner.parent] if owner is not None and owner.parent is not None else [owner]
    if not any(d.type == "decorator" and re.match(r"@\s*binding\b", text(d))
               for n in around if n is not None for d in n.children):
        warnings.append(Diagnostic(
            path, line(decorator), column(decorator, data),
            f"@{written}(...) is in a class without @binding(): cucumber-tsflow registers no step of it (its "
            "steps are undefined when cucumber runs); decorate the class with @binding()", "warning"))
        return None
    if not tag or tag[0].type in ("undefined", "null"):
        return ()
    if not by_tag:
        # (4.0 on also takes an options object, ``{ tag, timeout }``: one without a tag tags nothing)
        if tag[0].type == "object" and not re.search(r"(?<![\w$])['\"]?tag['\"]?\s*:", text(tag[0])):
            return ()
        warnings.append(Diagnostic(
            path, line(tag[0]), column(tag[0], data),
            f"@{written}(...)'s tag selects nothing: cucumber-tsflow 4.0 and later hands it to cucumber-js, which "
            "ignores tags on steps, so the binding runs in every scenario (of one pattern's bindings, the first); "
            "drop the tag, or import @lynxwall/cucumber-tsflow, which still picks bindings by tag", "warning"))
        return ()
    value = string_value(tag[0]) if tag[0].type in ("string", "template_string") else None
    if value is None:
        message = "is not a string literal; tracertm reads tags without running code: write one such as '@web'"
    elif re.fullmatch(r"@[^\s@()]+", value):
        return ((value, None, None),)
    elif not value.startswith("@") or re.search(r"\s", value):
        hint = f"'@{value}'" if re.fullmatch(r"[^\s@()]+", value) else "one tag such as '@web'"
        message = (f"'{value}' is never a scenario's tag (cucumber-tsflow compares it, as written, with each of "
                   f"the scenario's tags, which start with @ and hold no space), so it never runs: write {hint}")
    else:
        message = f"'{value}' cannot be read: tracertm reads one tag of letters, digits and signs, such as '@web'"
    errors.append(Diagnostic(path, line(tag[0]), column(tag[0], data), f"@{written}(...)'s tag {message}"))
    return None


_CLASSES = ("class_declaration", "class", "abstract_class_declaration")


class _Registered:
    """cucumber-tsflow's (4.0 and later) registration of a file's bindings with cucumber-js: ``@binding()`` registers
    its class's step bindings in order, one cucumber step per pattern and keyword — the first binding's —, and at a
    binding whose pattern and keyword are registered already it returns (a ``return`` in a ``for…of``): that binding
    never runs, and the class's later bindings are never registered (their steps are undefined). Classes register in
    the order they are declared; registrations by other files (cucumber-js loads them in path order) are not seen."""

    def __init__(self, path: str, data: bytes, warnings: list[Diagnostic]) -> None:
        self.path, self.data, self.warnings = path, data, warnings
        self.first: dict[tuple[str, bool, str, str], int] = {}  # (keyword, regex?, pattern, flags) → its line
        self.stopped: dict[int, int] = {}  # class's start byte → the line of the repeat it stopped at
        self.count = 0

    def place(self, decorator: Node, written: str, key: tuple[str, bool, str, str]) -> int | None:
        """The binding's place in the file's registration order (``StepDefinition.registration``:
        ``matching.settle`` runs the first of one pattern and keyword); None when tsflow never registers it."""
        owner = _class_of(decorator)
        at = line(decorator)
        if owner is not None and owner.start_byte in self.stopped:
            self.warnings.append(Diagnostic(
                self.path, at, column(decorator, self.data),
                f"@{written}(...) is never registered: its class's binding at line {self.stopped[owner.start_byte]} "
                "repeats a pattern, where cucumber-tsflow (4.0 and later) stops registering the class's bindings, so "
                "its steps are undefined; move it above that binding, or remove the repeat", "warning"))
            return None
        if key in self.first and owner is not None:
            self.stopped[owner.start_byte] = at
            self.warnings.append(Diagnostic(
                self.path, at, column(decorator, self.data),
                f"@{written}(...) repeats the pattern of line {self.first[key]}: cucumber-tsflow (4.0 and later) "
                "registers only the first binding of a pattern, whatever the tags, so this one never runs, nor does "
                "any binding below it in its class; remove it", "warning"))
        self.first.setdefault(key, at)
        self.count += 1
        return self.count - 1


class _Fixtures:
    """The tags of playwright-bdd's ``@Fixture({ name, tags })`` class decorators (playwright-bdd/decorators), by
    class: ``linkStepsWithPomNode`` makes them the ``defaultTags`` of the step decorators of the class's own methods,
    ANDed with each step's own tags. Only the class's own: a subclass's steps get the subclass's fixture's tags, an
    inherited method keeps its class's (``linkStepsWithPomNode`` reads the class's own prototype)."""

    def __init__(self, path: str, data: bytes, names: _Names, warnings: list[Diagnostic]) -> None:
        self.path, self.data, self.names, self.warnings = path, data, names, warnings
        self.found: dict[int, str | None] = {}  # class's start byte → its fixture's tags (read once per class)

    def tags(self, decorator: Node) -> str | None:
        """The tags of the ``@Fixture`` of the class whose method ``decorator`` decorates; None without any."""
        body = decorator.parent  # a method's decorators are children of the class body
        owner = body.parent if body is not None and body.type == "class_body" else None
        if owner is None or owner.type not in _CLASSES:
            return None
        if owner.start_byte not in self.found:
            self.found[owner.start_byte] = self._read(owner)
        return self.found[owner.start_byte]

    def _read(self, owner: Node) -> str | None:
        # ``@Fixture(…) class X``, ``export @Fixture(…) class X`` (on the class) or ``@Fixture(…) export class X``
        # (on the export statement)
        exported = owner.parent is not None and owner.parent.type == "export_statement"
        for node in [owner, owner.parent] if exported and owner.parent is not None else [owner]:
            for d in node.children:
                call = d.named_children[0] if d.type == "decorator" and d.named_children else None
                if call is None or call.type != "call_expression":
                    continue
                callee, args = call.child_by_field_name("function"), call.child_by_field_name("arguments")
                if callee is None or args is None or self.names.imported(text(callee)) != "Fixture":
                    continue
                options = [a for a in args.named_children if a.type == "object"][:1]
                return _tags(self.path, self.data, options, self.warnings, _UNREAD_FIXTURE_TAGS)
        return None


def path_tags(path: str) -> list[str]:
    """playwright-bdd's ``extractTagsFromPath``: the ``@``-prefixed parts of the folders' and the file's names (the
    file's up to its first dot), ``features/@mobile/@slow.steps.ts`` → ``@mobile``, ``@slow``."""
    *folders, name = path.split("/")
    return [t for part in [*folders, name.split(".")[0]] for t in re.findall(r"@[^@\s]+", part)]


_UNREAD_STEP_TAGS = ("the step's tags cannot be read (not a string literal): tracertm takes the step as untagged, "
                     "which may make its steps ambiguous")
_UNREAD_FIXTURE_TAGS = ("the @Fixture(...)'s tags cannot be read (not a string literal): tracertm takes its class's "
                        "steps as untagged by it, which may make their steps ambiguous")


def _tags(path: str, data: bytes, rest: list[Node], warnings: list[Diagnostic], unread: str = _UNREAD_STEP_TAGS
          ) -> str | None:
    """The ``tags`` of a playwright-bdd step's options (``Given('…', { tags: '@foo' }, fn)``), None when it has
    none; one that is not a string literal is a warning (``unread``), and the step is taken as untagged."""
    for options in rest:
        if options.type != "object":
            continue
        for pair in options.named_children:
            key, value = pair.child_by_field_name("key"), pair.child_by_field_name("value")
            if pair.type != "pair" or key is None or value is None:
                continue
            if ((string_value(key) if key.type == "string" else None) or text(key)) != "tags":
                continue
            tags = string_value(value) if value.type in ("string", "template_string") else None
            if tags is None:
                warnings.append(Diagnostic(
                    path, line(value), column(value, data), unread, "warning"))
            return tags or None
    return None


# Where a declaration's name lives: ``let``/``const`` in the nearest block (or ``for`` head, or the module); ``var``
# in the nearest function (or the module); imports in the module.
_BLOCKS = ("statement_block", "program", "for_statement", "for_in_statement", "switch_body", "class_body")
_FUNCTION_SCOPES = (*_FUNCTIONS, "function_declaration", "generator_function_declaration", "method_definition",
                    "program")
# A destructured value that is a step-functions module: ``require(…)``, ``await import(…)``, ``createBdd(…)``.
_STEP_SOURCES = ("require(", "import(", "createBdd(")
_SCOPES = frozenset((*_BLOCKS, *_FUNCTION_SCOPES))


class _Names:
    """Local names bound to an exported name, by scope: ``import { Given as G } from …``, ``const { Given: G } =
    require(…)`` / ``= createBdd(…)`` (also ``{ Given: G = fallback }``), ``const G = cucumber.Given``. Maps ``G``
    to ``Given``; ``import { Before as Given }`` maps ``Given`` away from the step functions, and so does a
    destructuring such as ``const { x: Then } = obj`` — only inside its block or function (before, such a
    destructuring anywhere hid the module's ``Then`` in the whole file). Within one scope, an import or the
    destructuring of a step-functions module wins over other values (tie: the later one)."""

    def __init__(self, root: Node) -> None:
        # scope (start, end, type) → local → (priority, exported)
        self.scopes: dict[tuple[int, int, str], dict[str, tuple[int, str]]] = {}
        self.bound: set[str] = set()  # every local name bound somewhere
        # ``resolve``'s view of the walk: the binding scopes around the node (with their locals), and for each local
        # what the innermost of them binds it to — kept as the walk enters and leaves scopes, so a name is looked up
        # in one step, not by climbing the tree (``syntax.walk_scoped``)
        self.open: list[tuple[Node, list[str]]] = []
        self.open_names: dict[str, list[str]] = {}
        self.module = (root.start_byte, root.end_byte, root.type)
        for node, above, enclosing in walk_scoped(root, lambda n: n.type in _SCOPES):
            if node.type == "import_specifier":
                imported, local = node.child_by_field_name("name"), node.child_by_field_name("alias")
                if imported is not None and imported.type in ("identifier", "string"):
                    exported = (string_value(imported) if imported.type == "string" else None) or text(imported)
                    self._bind(root, text(local) if local is not None else exported, exported, 1)
            elif node.type == "variable_declarator":
                self._declarator(node, _scope_of(root, above[-1] if above else None, enclosing))

    def _declarator(self, node: Node, scope: Node) -> None:
        target, value = node.child_by_field_name("name"), node.child_by_field_name("value")
        if target is None:
            return
        if target.type == "object_pattern":
            priority = 1 if value is not None and any(s in text(value) for s in _STEP_SOURCES) else 0
            for pair in target.named_children:
                if pair.type == "shorthand_property_identifier_pattern":  # `{ Then }`: the name itself
                    self._bind(scope, text(pair), text(pair), priority)
                    continue
                key, local = pair.child_by_field_name("key"), pair.child_by_field_name("value")
                if local is not None and local.type == "assignment_pattern":
                    local = local.child_by_field_name("left")
                named = key is not None and key.type in ("property_identifier", "string")
                if pair.type != "pair_pattern" or not named or local is None or local.type != "identifier":
                    continue
                self._bind(scope, text(local), (string_value(key) if key.type == "string" else None) or text(key),
                           priority)
        elif target.type == "identifier" and value is not None and value.type == "member_expression":
            prop = value.child_by_field_name("property")
            exported = text(prop) if prop is not None else ""
            if exported in _KEYWORDS or exported == "defineParameterType":
                self._bind(scope, text(target), exported, 1)
        elif target.type == "identifier" and value is not None and value.type == "identifier":
            # ``const G = Given``: an alias of the step function the name ``Given`` holds (taken as the exported
            # ``Given``, as where it is called without an import; a ``Given`` bound to another export is not
            # followed through the alias)
            if text(value) in _KEYWORDS or text(value) == "defineParameterType":
                self._bind(scope, text(target), text(value), 1)

    def _bind(self, scope: Node, local: str, exported: str, priority: int) -> None:
        self.bound.add(local)
        names = self.scopes.setdefault((scope.start_byte, scope.end_byte, scope.type), {})
        if priority >= names.get(local, (0, ""))[0]:
            names[local] = (priority, exported)

    def imported(self, written: str) -> str:
        """The exported name a module-level import binds ``written`` to (``import { Fixture as F }``), else
        ``written`` itself."""
        bound = self.scopes.get(self.module, {}).get(written)
        return bound[1] if bound is not None else written

    def kept(self, node: Node) -> bool:
        """Whether the walk of the calls (``parse``) keeps ``node`` among the ancestors it gives: a scope that binds
        a name, or a decorator (``_glue``)."""
        kind = node.type
        return kind == "decorator" or (kind in _SCOPES and (node.start_byte, node.end_byte, kind) in self.scopes)

    def resolve(self, node: Node, written: str, enclosing: list[Node]) -> str:
        """The exported name ``written`` stands for where ``node`` is: the innermost scope that binds it, else
        itself (a global, or a step function used without an import). ``enclosing``: the ancestors ``kept`` of
        ``node``, outermost first (``syntax.walk_scoped``)."""
        if written not in self.bound:
            return written
        own = self.scopes.get((node.start_byte, node.end_byte, node.type))
        if own is not None and written in own:
            return own[written][1]
        # Leave the scopes the walk has left since the last call, enter the ones it has entered: each scope once.
        depth = len(self.open)
        while depth and (depth > len(enclosing) or self.open[depth - 1][0] is not enclosing[depth - 1]):
            for local in self.open.pop()[1]:
                self.open_names[local].pop()
            depth -= 1
        for scope in enclosing[depth:]:
            names = self.scopes.get((scope.start_byte, scope.end_byte, scope.type), {})
            for local, (_, exported) in names.items():
                self.open_names.setdefault(local, []).append(exported)
            self.open.append((scope, list(names)))
        bound = self.open_names.get(written)
        return bound[-1] if bound else written


def _scope_of(root: Node, declaration: str | None, enclosing: list[Node]) -> Node:
    """The node a ``variable_declarator``'s names belong to (see ``_BLOCKS``): the innermost scope of its kind
    above its ``declaration`` (the parent's type), else ``root``; ``enclosing``: the declarator's ancestors that are
    scopes (``_SCOPES``), outermost first."""
    kinds = _FUNCTION_SCOPES if declaration == "variable_declaration" else _BLOCKS
    # The declaration itself is no scope of its declarators' (were it one: a declarator's parent is a declaration).
    above = len(enclosing) - (1 if declaration in _SCOPES else 0)
    for i in range(above - 1, -1, -1):
        if enclosing[i].type in kinds:
            return enclosing[i]
    return root


def _patterns(path: str, data: bytes, written: str, constants: Constants, node: Node
              ) -> tuple[list[tuple[PatternKind, str, str]], list[Diagnostic]]:
    """The patterns of a step call ``written(node, …)``: ``node`` a literal, an array of them (playwright-bdd's
    aliases), or a module-level constant's name bound to one (``js_constants``), each item too; and the errors of
    those that cannot be read — at ``node`` when its value came from a constant, else at the item."""
    out: list[tuple[PatternKind, str, str]] = []
    errors: list[Diagnostic] = []
    try:
        first = _unwrapped(node)
        value = constants.value(first) if first.type == "identifier" else first
    except Unbound as exc:
        return out, [_unreadable(path, data, written, node, f"the pattern is {exc}")]
    for item in value.named_children if value.type == "array" else [value]:
        written_item = _unwrapped(item)
        at = node if value is not first else item  # where the file names what cannot be read
        try:
            literal = constants.value(written_item) if written_item.type == "identifier" else written_item
        except Unbound as exc:
            errors.append(_unreadable(path, data, written, at, f"the pattern is {exc}"))
            continue
        found = _pattern(literal)
        if found is not None:
            out.append(found)
        elif literal is written_item and value is first:
            errors.append(_unreadable(path, data, written, at, "the pattern is not a string or RegExp literal, nor "
                                      "a module-level const bound to one; tracertm reads patterns without running "
                                      "code"))
        else:
            errors.append(_unreadable(path, data, written, at, f"the pattern is a module-level const whose value "
                                      f"({excerpt(literal)}, line {line(literal)}) is not a string or RegExp "
                                      "literal; tracertm reads patterns without running code"))
    return out, errors


def _unreadable(path: str, data: bytes, written: str, node: Node, why: str) -> Diagnostic:
    """The error of a step definition ``written(node, …)`` whose pattern ``node`` cannot be read: ``why``."""
    return Diagnostic(path, line(node), column(node, data),
                      f"step definition {written}({excerpt(node)}) cannot be read: {why}")


def _pattern(node: Node) -> tuple[PatternKind, str, str] | None:
    """(kind, pattern, flags) of a literal pattern, or None."""
    if node.type == "regex":
        pattern = node.child_by_field_name("pattern")
        flags = node.child_by_field_name("flags")
        return "regex", text(pattern) if pattern is not None else "", text(flags) if flags is not None else ""
    value = _joined(node)
    return None if value is None else ("cucumber-expression", value, "")


def _joined(node: Node) -> str | None:
    """The value of a string literal, or of string literals joined with ``+`` (a long step text split over lines:
    ``'I have a very long ' +\n 'step'``), parentheses and TypeScript's assertions around any of them; None for
    anything else (a number joined in, a name)."""
    parts: list[str] = []
    pending = [node]
    while pending:  # (iterative: ``a + b + … + z`` nests to the left as deep as it is long)
        current = _unwrapped(pending.pop())
        operator = current.child_by_field_name("operator") if current.type == "binary_expression" else None
        if operator is not None and text(operator) == "+":
            left, right = current.child_by_field_name("left"), current.child_by_field_name("right")
            if left is None or right is None:
                return None
            pending += [right, left]
            continue
        value = string_value(current) if current.type in ("string", "template_string") else None
        if value is None:
            return None
        parts.append(value)
    return "".join(parts)


def _glue(parent: Node | None, rest: list[Node]) -> tuple[str, tuple[Parameter, ...]]:
    """The function a step call registers: its name ("" for an anonymous one) and parameters. ``parent``: the
    decorator the call is, if it is one."""
    if parent is not None and parent.type == "decorator":  # playwright-bdd: @Given('...') on a method
        sibling = parent.next_named_sibling
        while sibling is not None and sibling.type == "decorator":
            sibling = sibling.next_named_sibling
        if sibling is not None and sibling.type == "method_definition":
            name = sibling.child_by_field_name("name")
            return (text(name) if name is not None else ""), _parameters(sibling)
    for node in reversed(rest):
        if node.type in _FUNCTIONS:
            name = node.child_by_field_name("name")
            return (text(name) if name is not None else ""), _parameters(node)
        if node.type == "identifier":
            return text(node), ()
    return "", ()


def _parameters(function: Node) -> tuple[Parameter, ...]:
    params = function.child_by_field_name("parameters") or function.child_by_field_name("parameter")
    if params is None:
        return ()
    if params.type == "identifier":  # x => ...
        return (Parameter(text(params)),)
    out: list[Parameter] = []
    for p in params.named_children:
        if p.type in ("required_parameter", "optional_parameter"):
            pattern = p.child_by_field_name("pattern")
            annotation = p.child_by_field_name("type")
            name = text(pattern) if pattern is not None else text(p)
            if name == "this":
                continue  # TypeScript's `this: World` is not a step argument
            kind = text(annotation).lstrip(":").strip() if annotation is not None else ""
            out.append(Parameter(name, kind))
        elif p.type in ("identifier", "assignment_pattern", "rest_pattern", "object_pattern", "array_pattern"):
            out.append(Parameter(text(p)))
    return tuple(out)


def _parameter_type(path: str, data: bytes, node: Node, framework: Framework, language: str
                    ) -> ParameterTypeDecl | Diagnostic:
    """``defineParameterType({name: 'x', regexp: /.../ | '...' | [...]})``."""
    problem = Diagnostic(path, line(node), column(node, data),
                         "defineParameterType(...) cannot be read: pass an object literal with a literal name and "
                         "regexp; steps using this type will be reported as using an undeclared type")
    if node.type != "object":
        return problem
    name: str | None = None
    regexps: list[str] = []
    flags = ""
    prefer = False
    for pair in node.named_children:
        if pair.type != "pair":
            continue
        key = pair.child_by_field_name("key")
        value = pair.child_by_field_name("value")
        if key is None or value is None:
            continue
        key_text = (string_value(key) if key.type == "string" else None) or text(key)
        if key_text == "name":
            name = string_value(value) if value.type in ("string", "template_string") else None
        elif key_text == "regexp":
            for item in value.named_children if value.type == "array" else [value]:
                found = _pattern(item)
                if found is None:
                    return problem
                regexps.append(found[1])
                flags = found[2] or flags
        elif key_text == "preferForRegexpMatch":
            prefer = value.type == "true"  # (a value known only when the code runs counts as false)
    if not name or not regexps:
        return problem
    return ParameterTypeDecl(name, tuple(regexps), framework, language, path, line(node), flags, prefer=prefer)
