"""``tracertm schema`` prints every JSON shape the API serves, as ``/openapi.json`` documents it, and reads names as
record kinds are read: plural or singular, any case, ``-`` or ``_``.

It printed none for what the API serves for test runs and results, ``GET …/status``, facets, link pages, search
results or the health check, and refused ``links``, ``sync-runs`` or ``Matrix`` where it took ``adrs`` and ``ADR``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tracertm import db
from tracertm.api import ApiSettings, create_app
from tracertm.cli import main

# The component each 2xx response of /openapi.json refers to (or the items of, for a JSON array), and the
# ``tracertm schema NAME --model MODEL`` that prints it. A route answering a shape missing here fails the test below.
PRINTED_AS = {
    "Health": ("health", "read"), "ProjectRead": ("project", "read"), "ProjectStatus": ("status", "read"),
    "SyncRunRead": ("sync-run", "read"), "RevisionRead": ("revision", "read"), "SearchResults": ("search", "read"),
    "Facets": ("facets", "read"), "LinkRead": ("link", "read"), "LinkPage": ("link", "page"),
    "ReviewResult": ("review", "read"), "Matrix": ("matrix", "read"), "CoverageSummary": ("coverage", "read"),
    "TraceGraph": ("trace-graph", "read"), "TestRunPage": ("test-run", "page"),
    "TestRunDetail": ("test-run", "read"), "TestRunImported": ("test-run-import", "read"),
    **{f"{camel}Read": (name, "read") for camel, name in (
        ("ADR", "adr"), ("Contract", "contract"), ("Feature", "feature"), ("Scenario", "scenario"),
        ("StepDefinition", "step-definition"), ("TestCase", "test-case"))},
    **{f"{camel}Page": (name, "page") for camel, name in (
        ("ADR", "adr"), ("Contract", "contract"), ("Feature", "feature"), ("Scenario", "scenario"),
        ("StepDefinition", "step-definition"), ("TestCase", "test-case"))},
}


def _schema(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code = main(["schema", *argv])
    out, err = capsys.readouterr()
    assert code == 0 and not err, (argv, code, err)
    return json.loads(out)  # type: ignore[no-any-return]


def _no_null_defaults(schema: Any) -> Any:
    """``schema`` without ``"default": null``: FastAPI leaves it out of response schemas, Pydantic writes it; it
    says nothing a response is checked against."""
    if isinstance(schema, dict):
        return {k: _no_null_defaults(v) for k, v in schema.items() if not (k == "default" and v is None)}
    if isinstance(schema, list):
        return [_no_null_defaults(v) for v in schema]
    return schema


def _served_shapes(tmp_path: Any) -> dict[str, tuple[dict[str, Any], list[str]]]:
    """Each component a 2xx JSON response of the OpenAPI document names: its schema with the components it uses
    as ``$defs`` (as ``tracertm schema`` prints one), and the operations answering it."""
    engine = db.make_engine(f"sqlite:///{tmp_path / 'openapi.db'}")
    try:
        document = create_app(ApiSettings(), engine).openapi()
    finally:
        engine.dispose()
    components = document["components"]["schemas"]

    def inline(node: Any, defs: dict[str, Any]) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                name = node["$ref"].rsplit("/", 1)[1]
                if name not in defs:
                    defs[name] = None  # a model that refers to itself
                    defs[name] = inline(components[name], defs)
                return {**node, "$ref": f"#/$defs/{name}"}
            return {key: inline(value, defs) for key, value in node.items()}
        return [inline(value, defs) for value in node] if isinstance(node, list) else node

    shapes: dict[str, tuple[dict[str, Any], list[str]]] = {}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation.get("responses", {}).items():
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                if not status.startswith("2") or schema is None:
                    continue
                top = schema.get("items", schema) if schema.get("type") == "array" else schema
                name = top["$ref"].rsplit("/", 1)[1]
                defs: dict[str, Any] = {}
                inline(top, defs)
                whole = dict(defs.pop(name))
                if defs:
                    whole["$defs"] = defs
                shapes.setdefault(name, (whole, []))[1].append(f"{method.upper()} {path}")
    return shapes


def test_every_shape_the_api_serves_is_printed_as_openapi_documents_it(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    shapes = _served_shapes(tmp_path)
    assert set(shapes) == set(PRINTED_AS), "a served shape with no 'tracertm schema' name, or a name served no more"
    for component, (documented, operations) in shapes.items():
        name, model = PRINTED_AS[component]
        printed = _schema(capsys, name, "--model", model)
        assert printed["title"] == component, (name, model, printed["title"])
        assert _no_null_defaults(printed) == _no_null_defaults(documented), (component, operations)


@pytest.mark.parametrize(("name", "title"), [
    ("links", "LinkRead"), ("Link", "LinkRead"), ("sync-runs", "SyncRunRead"), ("SYNC_RUNS", "SyncRunRead"),
    ("sync_run", "SyncRunRead"), ("Matrix", "Matrix"), ("facet", "Facets"), ("facets", "Facets"),
    ("trace_graphs", "TraceGraph"), ("test-runs", "TestRunDetail"), ("Test_Run", "TestRunDetail"),
    ("STATUS", "ProjectStatus"), ("adrs", "ADRRead"), ("ADR", "ADRRead"), ("step_definitions", "StepDefinitionRead"),
    ("Step-Definition", "StepDefinitionRead"), ("projects", "ProjectRead"), ("search-hits", "SearchHit"),
])
def test_names_are_read_alike_for_every_shape(name: str, title: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert _schema(capsys, name)["title"] == title


def test_an_unknown_name_is_one_line_listing_the_names(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["schema", "gizmos"])
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    assert "'gizmos'" in lines[0] and all(
        f" {name}," in lines[0] or f" {name} " in lines[0]
        for name in ("adr", "step-definition", "status", "sync-run", "facets", "link", "matrix", "test-run",
                     "test-result", "health")), lines[0]


def test_a_model_a_name_lacks_names_the_ones_it_has(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["schema", "Matrix", "--model", "update"])
    err = capsys.readouterr().err
    assert code == 2 and err.strip().endswith("--model update: matrix has only a read model; use --model read"), err
    code = main(["schema", "links", "--model", "filter"])
    err = capsys.readouterr().err
    assert code == 2 and "link has read, update and page models; use --model read, update or page" in err, err
