"""Java step files (cucumber-jvm) → step definitions, with tree-sitter.

Annotations ``@Given/@When/@Then/@And/@But`` (and the localized ones: any annotation imported from an
``io.cucumber.java.<lang>`` package, every one of a language imported with ``io.cucumber.java.<lang>.*``, or one
written fully qualified, ``@io.cucumber.java.fr.Soit``: the names cucumber-jvm generates from gherkin's keywords,
``localized_annotations``) on methods; lambda glue ``Given("...", (Integer n) -> ...)`` in classes that
implement ``io.cucumber.java8.En`` (or another language's interface: ``Dado(...)`` of ``io.cucumber.java8.Pt``,
``glue_keywords``); ``@ParameterType("regex")`` methods (the method name is the type name unless ``name = "..."``)
and ``ParameterType("name", "regex", ...)`` calls. A string is a regex when it starts with ``^``, ends with ``$`` or
is ``/…/``, otherwise a Cucumber Expression (cucumber-jvm's ``ExpressionFactory``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import cache

from tracertm.errors import Diagnostic
from tracertm.steps.model import (
    Keyword,
    Parameter,
    ParameterTypeDecl,
    PatternKind,
    StepDefinition,
    StepFile,
    assign_identities,
)
from tracertm.steps.syntax import (
    Node, column, is_comment, line, parse_tree, string_value, syntax_errors, text, walk, walk_scoped,
)

_ENGLISH: dict[str, Keyword] = {"Given": "given", "When": "when", "Then": "then", "And": "step", "But": "step"}
# Annotations of io.cucumber.java that are not step definitions.
_NOT_STEPS = frozenset({
    "ParameterType", "DataTableType", "DocStringType", "DefaultParameterTransformer",
    "DefaultDataTableEntryTransformer", "DefaultDataTableCellTransformer", "Before", "After", "BeforeStep",
    "AfterStep", "BeforeAll", "AfterAll",
    "Transpose", "StepDefinitionAnnotation", "StepDefinitionAnnotations",
})


def pattern_kind(value: str) -> tuple[PatternKind, str]:
    """cucumber-jvm's ``ExpressionFactory``: ``^…``/``…$`` → regex; ``/…/`` → regex (without the slashes)."""
    if value.startswith("^") or value.endswith("$"):
        return "regex", value
    if len(value) >= 2 and value.startswith("/") and value.endswith("/"):
        return "regex", value[1:-1]
    return "cucumber-expression", value


_PACKAGE = "io.cucumber.java."
# Dialects cucumber-jvm generates no annotations for (``GenerateI18n``: their classes would not compile).
_NO_ANNOTATIONS = frozenset({"em", "en-tx"})
# What cucumber-jvm's ``GenerateI18n`` removes from a keyword to name its annotation: Java's ``\s`` (ASCII
# whitespace), ``'``, ``,``, ``!`` and the soft hyphen.
_NOT_IN_NAMES = re.compile(r"[ \t\n\x0b\f\r',!\u00ad]")


@cache
def localized_annotations() -> dict[str, frozenset[str]]:
    """Package (``fr``, ``sr_latn``: the language, lower case, ``-`` as ``_``) → the step annotations cucumber-jvm
    generates into ``io.cucumber.java.<package>``: the language's step keywords in gherkin's i18n data (the gherkin
    package's ``gherkin-languages.json``, the data cucumber-jvm generates them from), without ``*`` and those
    starting with a digit, stripped of ``_NOT_IN_NAMES``, NFC (``GenerateI18n``)."""
    from gherkin.dialect import DIALECTS

    out: dict[str, frozenset[str]] = {}
    for language, spec in DIALECTS.items():
        if language in _NO_ANNOTATIONS:
            continue
        keywords = [*spec["given"], *spec["when"], *spec["then"], *spec["and"], *spec["but"]]
        names = {unicodedata.normalize("NFC", _NOT_IN_NAMES.sub("", k)) for k in keywords
                 if "*" not in k and not k[:1].isdigit()}
        out[re.sub(r"[ \t\n\x0b\f\r$-]", "_", language).lower()] = frozenset(names)
    return out


def add_import(names: dict[str, Keyword], dotted: str) -> None:
    """Adds to ``names`` (simple name → keyword) the step annotations an import brings in: one,
    ``io.cucumber.java.<lang>.<Name>`` (any but those of ``_NOT_STEPS``), or all of a language's,
    ``io.cucumber.java.<lang>.*`` (an unknown ``<lang>`` brings none: it is no cucumber package)."""
    dotted = "".join(dotted.split())  # `import io.cucumber.java.fr .*;` is valid Java too
    if not dotted.startswith(_PACKAGE):
        return
    parts = dotted[len(_PACKAGE):].split(".")
    if len(parts) != 2:  # io.cucumber.java.<lang>.<Name> only (not io.cucumber.java8, io.cucumber.java.Before)
        return
    package, simple = parts
    if simple == "*":
        for name in localized_annotations().get(package, ()):
            names.setdefault(name, "step")
    elif simple not in _NOT_STEPS:
        names.setdefault(simple, "step")


# A name of cucumber-java8's package in the source: an interface (``io.cucumber.java8.Pt``) or all of them (``.*``).
_JAVA8 = re.compile(r"\bio\s*\.\s*cucumber\s*\.\s*java8\s*\.\s*(\*|[A-Z]\w*)")
# A class's supertypes: Java's ``implements`` list, Kotlin's delegation specifiers.
_SUPERTYPES = ("super_interfaces", "delegation_specifier")


def glue_keywords(root: Node, names: Mapping[str, Keyword]) -> dict[str, Keyword]:
    """The methods of cucumber-java8's lambda glue a file may call: ``names`` (the English ones and the annotations
    it imports) and the step methods of each language interface it names — ``io.cucumber.java8.Pt`` (imported or
    written qualified) gives ``Dado``, ``Quando``, ``Então``…, the names of ``localized_annotations`` for ``pt``, as
    cucumber-java8 generates its interfaces from the same keywords — or, importing ``io.cucumber.java8.*``, that a
    class implements (``class Steps implements Pt``)."""
    named = set(_JAVA8.findall(text(root)))
    if not named:
        return dict(names)
    if "*" in named:
        for node in walk(root):
            if node.type in _SUPERTYPES:
                named.update(text(n) for n in walk(node) if n.type in ("type_identifier", "identifier"))
    out = dict(names)
    table = localized_annotations()
    for interface in named:
        language = interface.lower()  # the class is the language's package name, capitalized (``Sr_latn``)
        if interface == language.capitalize():
            for name in table.get(language, ()):
                out.setdefault(name, "step")
    return out


def annotation_keyword(name: str, names: Mapping[str, Keyword]) -> Keyword | None:
    """The keyword of the annotation ``name`` as written (``Soit``, ``io.cucumber.java.fr.Soit``), None when it
    declares no step: by its simple name among ``names`` (English and imported ones), else — fully qualified, it
    needs no import — by being one of the annotations of its ``io.cucumber.java.<lang>`` package."""
    simple = name.rsplit(".", 1)[-1]
    found = names.get(simple)
    if found is not None or not name.startswith(_PACKAGE):
        return found
    package, _, rest = name[len(_PACKAGE):].partition(".")
    return "step" if rest == simple and simple in localized_annotations().get(package, ()) else None


def _step_annotations(root: Node) -> dict[str, Keyword]:
    """Annotation simple names that declare steps, from the file's imports (English ones always count)."""
    names: dict[str, Keyword] = dict(_ENGLISH)
    for node in root.named_children:
        if node.type == "import_declaration":
            add_import(names, text(node).removeprefix("import").removesuffix(";"))
    return names


class Folding:
    """What one file's patterns may fold to in all, in characters: four times the file's size, and 1 MiB more.
    Without constants a file's patterns are at most its own text; with them, a constant named a thousand times by
    each of thousands of annotations would make gigabytes of pattern from a few kilobytes of file."""

    __slots__ = ("left",)

    def __init__(self, size: int) -> None:
        self.left = 4 * size + (1 << 20)

    def take(self, value: str) -> bool:
        """Count ``value`` in; False once the file's budget is spent."""
        self.left -= len(value)
        return self.left >= 0

    def reason(self, constant: str) -> str:
        """Why a pattern was not read: this budget, or not a literal at all (nor a ``constant``)."""
        if self.left < 0:
            return ("its pattern, with those before it, folds the file's constants to over four times the file's "
                    "size; write the patterns as literals")
        return f"its pattern is not a string literal nor a {constant} of this file"


def _literal(node: Node | None, constants: Mapping[str, Node | None] | None = None,
             folding: Folding | None = None) -> str | None:
    """A string literal, or literals joined with ``+``; a name among them is one of the file's ``constants``
    (``_constants``: ``PREFIX``, ``Steps.PREFIX``), read in its place, each piece counted in ``folding``. Read with
    a stack, not by recursion: a chain of ``+`` nests one level per operand (javac folds thousands), and a
    RecursionError would lose the whole file."""
    parts: list[str] = []
    pending = [node]
    names = 0  # constants read in place: a bound, so that one defined by itself (javac refuses it) cannot loop
    while pending:
        current = pending.pop()
        if current is None:
            return None
        if current.type == "string_literal":
            value = string_value(current, '"', "java")
            if value is None or (folding is not None and not folding.take(value)):
                return None
            parts.append(value)
        elif current.type == "binary_expression" and text(current.child_by_field_name("operator") or current) == "+":
            pending += [current.child_by_field_name("right"), current.child_by_field_name("left")]  # left first
        elif current.type == "parenthesized_expression" and current.named_children:
            pending.append(current.named_children[0])
        elif current.type in ("identifier", "field_access") and constants and names < MAX_NAMES:
            names += 1
            written = "".join(text(current).split())  # ``Steps . PREFIX`` is ``Steps.PREFIX``
            # A qualified name by its last two parts: ``com.acme.Steps.PREFIX`` is the file's ``Steps.PREFIX``.
            value = constants.get(written)
            pending.append(value if value is not None else constants.get(".".join(written.split(".")[-2:])))
        else:
            return None
    return "".join(parts)


MAX_NAMES = 1000


def _constants(root: Node) -> dict[str, Node | None]:
    """The file's ``String`` constants — ``static final`` fields of its classes, enums and records, every field of
    its interfaces — by name and by ``Class.NAME``: their initializer (literals joined with ``+``, other constants
    among them, ``_literal``). Constants of other files are not known (tracertm reads one file at a time). A name
    declared twice in the file (two classes, each with its own) is None: which one a bare name means is not read."""
    found: dict[str, Node | None] = {}

    def add(name: str, value: Node | None) -> None:
        found[name] = None if name in found else value

    for node, above, enclosing in walk_scoped(root, _declaration):
        interface = node.type == "constant_declaration"
        if node.type != "field_declaration" and not interface:
            continue
        modifiers = next((c for c in node.children if c.type == "modifiers"), None)
        words = set(text(modifiers).split()) if modifiers is not None else set()
        kind = node.child_by_field_name("type")
        if not (interface or {"static", "final"} <= words) or kind is None \
                or text(kind) not in ("String", "java.lang.String"):
            continue
        # its class or interface: the grandparent (over the body), kept when it is a declaration — else an
        # anonymous class's creation or an enum's body, which has no name
        owner = enclosing[-1] if _grandparent_kept(above) else None
        owner_name = owner.child_by_field_name("name") if owner is not None else None
        for declarator in node.named_children:
            name, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
            if declarator.type != "variable_declarator" or name is None:
                continue
            add(text(name), value)
            if owner_name is not None:
                add(f"{text(owner_name)}.{text(name)}", value)
    return found


def _declaration(node: Node) -> bool:
    """The ancestors the walks keep (``syntax.walk_scoped``), for a member's class and an annotation's method:
    found by climbing with tree-sitter's ``parent``, which searches down from the root, a file of nested classes
    (4,000 deep, 220 KB) took seconds, and a larger one minutes."""
    return str(node.type).endswith("_declaration")


def _grandparent_kept(above: list[str]) -> bool:
    """Whether the node's grandparent (``above``: its ancestors' types) is the innermost ancestor ``_declaration``
    kept: it is one, and the parent between them is not."""
    return len(above) >= 2 and above[-2].endswith("_declaration") and not above[-1].endswith("_declaration")


def _annotation_values(annotation: Node) -> dict[str, Node]:
    """``@X("v")`` → {"value": node}; ``@X(value = "v", name = "n")`` → both."""
    args = annotation.child_by_field_name("arguments")
    out: dict[str, Node] = {}
    for child in args.named_children if args is not None else ():
        if child.type == "element_value_pair":
            key, value = child.child_by_field_name("key"), child.child_by_field_name("value")
            if key is not None and value is not None:
                out[text(key)] = value
        elif not is_comment(child):
            out.setdefault("value", child)
    return out


def _parameters(params: Node | None) -> tuple[Parameter, ...]:
    if params is not None and params.type == "identifier":  # x -> ...
        return (Parameter(text(params)),)
    out: list[Parameter] = []
    for p in params.named_children if params is not None else ():
        if p.type in ("formal_parameter", "spread_parameter"):
            name, kind = p.child_by_field_name("name"), p.child_by_field_name("type")
            if name is None:  # spread_parameter: type then variable_declarator
                declarator = next((c for c in p.named_children if c.type == "variable_declarator"), None)
                name = declarator.child_by_field_name("name") if declarator is not None else None
                kind = p.named_children[0] if p.named_children else None
            out.append(Parameter(text(name) if name is not None else "", text(kind) if kind is not None else ""))
        elif p.type == "identifier":  # an untyped lambda parameter
            out.append(Parameter(text(p)))
    return tuple(out)


def parse(path: str, data: bytes) -> StepFile:
    root = parse_tree("java", data)
    errors = syntax_errors(path, root, data, "Java")
    keywords = _step_annotations(root)
    glue_names = glue_keywords(root, keywords)
    constants = _constants(root)
    folding = Folding(len(data))
    definitions: list[StepDefinition] = []
    types: list[ParameterTypeDecl] = []

    def unreadable(node: Node, what: str) -> None:
        errors.append(Diagnostic(path, line(node), column(node, data),
                                 f"{what} cannot be read: {folding.reason('String constant')}; tracertm reads "
                                 "patterns without running code, one file at a time"))

    for node, above, enclosing in walk_scoped(root, _declaration):
        if node.type == "annotation" or node.type == "marker_annotation":
            name_node = node.child_by_field_name("name")
            written = text(name_node) if name_node is not None else ""
            name = written.rsplit(".", 1)[-1]
            if not _grandparent_kept(above) or above[-2] != "method_declaration":  # (parent: its modifiers)
                continue
            method = enclosing[-1]
            method_name = text(method.child_by_field_name("name"))
            values = _annotation_values(node)
            if name == "ParameterType":
                regex = _literal(values.get("value"), constants, folding)
                type_name = _literal(values.get("name"), constants, folding) or method_name
                if regex is None:
                    unreadable(node, f"@ParameterType on {method_name}()")
                else:
                    prefer = values.get("preferForRegexMatch")
                    types.append(ParameterTypeDecl(type_name, (regex,), "cucumber-jvm", "java", path, line(node),
                                                   prefer=prefer is not None and prefer.type == "true"))
                continue
            keyword = annotation_keyword(written, keywords)
            if keyword is None:
                continue
            value = _literal(values.get("value"), constants, folding)
            if value is None:
                unreadable(node, f"@{name} on {method_name}()")
                continue
            kind, pattern = pattern_kind(value)
            definitions.append(StepDefinition(
                keyword=keyword, pattern=pattern, kind=kind, framework="cucumber-jvm", language="java", path=path,
                line=line(node), column=column(node, data), function=method_name,
                parameters=_parameters(method.child_by_field_name("parameters")),
                label="" if name == keyword.capitalize() else f"@{name}",  # @Étantdonné, @And: not "@Step"
            ))
        elif node.type == "method_invocation" and node.child_by_field_name("object") is None:
            name = text(node.child_by_field_name("name"))
            arg_list = node.child_by_field_name("arguments")
            items = [a for a in arg_list.named_children if not is_comment(a)] if arg_list is not None else []
            if name == "ParameterType" and len(items) >= 2:
                declared, regex = _literal(items[0], constants, folding), _literal(items[1], constants, folding)
                if declared is None or regex is None:
                    unreadable(node, "ParameterType(...)")
                else:
                    types.append(ParameterTypeDecl(declared, (regex,), "cucumber-jvm", "java", path, line(node)))
                continue
            keyword = glue_names.get(name)
            lambdas = [v for v in items if v.type in ("lambda_expression", "method_reference")]
            if keyword is None or not items or not lambdas:
                continue
            literal = _literal(items[0], constants, folding)
            if literal is None:
                unreadable(node, f"{name}(...)")
                continue
            kind, pattern = pattern_kind(literal)
            glue = lambdas[-1]
            params = _parameters(glue.child_by_field_name("parameters")) if glue.type == "lambda_expression" else ()
            function = text(glue) if glue.type == "method_reference" else ""
            definitions.append(StepDefinition(
                keyword=keyword, pattern=pattern, kind=kind, framework="cucumber-jvm", language="java", path=path,
                line=line(node), column=column(node, data), function=function, parameters=params,
                label=name,  # a glue call: no "@"
            ))
    return StepFile(path, "java", assign_identities(path, definitions), tuple(types), tuple(errors))
