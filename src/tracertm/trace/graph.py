"""The graph around one record: its links followed both ways up to a depth, plus feature ↔ scenario containment.

Rendered as an indented text tree, JSON (nodes and edges), Graphviz DOT or a Mermaid flowchart.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracertm.errors import UsageError
from tracertm.models import ADR, Contract, Feature, Link, Project, Scenario, StepDefinition, TestCase
from tracertm.trace.review import link_state

Node = tuple[str, str]  # (kind, id) — scenarios as FEATURE/SCENARIO


@dataclass(frozen=True)
class Edge:
    """One link (or containment) between two nodes, with the link's state."""

    source: Node
    target: Node
    type: str  # a link type, or "contains" (feature → scenario)
    state: str = "ok"  # ok | suspect | dangling


@dataclass
class Graph:
    """The nodes reached from ``root`` (with title, whether the record is missing, and depth) and the edges used."""

    root: Node
    nodes: dict[Node, dict[str, Any]] = field(default_factory=dict)  # title, missing
    edges: list[Edge] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "root": _key(self.root),
            "nodes": [{"id": _key(n), "kind": n[0], "ref": n[1], **info} for n, info in self.nodes.items()],
            "edges": [{"source": _key(e.source), "target": _key(e.target), "type": e.type, "state": e.state}
                      for e in self.edges],
        }


def _key(node: Node) -> str:
    return f"{node[0]}:{node[1]}"


def _root(session: Session, project: Project, ident: str) -> Node:
    """A record id (``ADR-0003``, ``CTR-1``, a feature, ``FEATURE/SCENARIO``) or a requirement id some link names."""
    from tracertm.kinds import NUMBER_COLUMN
    from tracertm.repositories import find_any
    from tracertm.repositories.errors import NotFound

    from tracertm.steps.queries import find_definition, looks_like_step

    if looks_like_step(ident):
        definition = find_definition(session, project, ident)
        if definition is not None and definition.step_number:
            from tracertm.engine.links import clip_ref

            return ("step_definition", clip_ref(definition.step_number))
    try:
        k, row = find_any(session, project, ident)
        kind = k.name
    except NotFound:
        known = session.execute(
            select(Link.target_kind).where(Link.project_id == project.id, Link.target_ref == ident).limit(1)
        ).scalar_one_or_none()
        if known is None:
            raise UsageError(
                f"{ident}: no record and no link target with this id in project {project.name}; "
                "see 'tracertm list' or 'tracertm matrix'"
            ) from None
        return (known, ident)
    if kind == "scenario":
        return ("scenario", f"{row.feature.feature_number}/{row.scenario_number}")
    return (kind, str(getattr(row, NUMBER_COLUMN[kind])))


def build(session: Session, project: Project, ident: str, depth: int = 2) -> Graph:
    """Breadth-first over links (either direction) and containment from ``ident``, ``depth`` steps at most."""
    if depth < 0:
        raise UsageError(f"--depth {depth}: give 0 or more")
    root = _root(session, project, ident)
    adjacency: dict[Node, list[Edge]] = defaultdict(list)
    for link in session.execute(select(Link).where(Link.project_id == project.id)).scalars():
        edge = Edge((link.source_kind, link.source_ref), (link.target_kind, link.target_ref), link.link_type,
                    link_state(link))
        adjacency[edge.source].append(edge)
        adjacency[edge.target].append(edge)
    titles = _titles(session, project)
    for (kind, ref), info in titles.items():
        if kind == "scenario":
            feature = ("feature", info["feature"])
            edge = Edge(feature, (kind, ref), "contains")
            adjacency[feature].append(edge)
            adjacency[(kind, ref)].append(edge)
    graph = Graph(root)
    seen_edges: set[Edge] = set()
    queue: deque[tuple[Node, int]] = deque([(root, 0)])
    distance = {root: 0}
    while queue:
        node, d = queue.popleft()
        if d >= depth:
            continue
        for edge in adjacency.get(node, ()):
            if edge in seen_edges:
                continue
            seen_edges.add(edge)
            graph.edges.append(edge)
            other = edge.target if edge.source == node else edge.source
            if other not in distance:
                distance[other] = d + 1
                queue.append((other, d + 1))
    for node in sorted(distance, key=lambda n: (distance[n], n)):
        found = titles.get(node)
        graph.nodes[node] = {
            "title": found["title"] if found else None,
            "missing": found is None and node[0] != "requirement",
            "depth": distance[node],
        }
    return graph


def _titles(session: Session, project: Project) -> dict[Node, dict[str, Any]]:
    out: dict[Node, dict[str, Any]] = {}
    for kind, model, number, title in (("adr", ADR, ADR.adr_number, ADR.title),
                                       ("contract", Contract, Contract.contract_number, Contract.title),
                                       ("feature", Feature, Feature.feature_number, Feature.name)):
        for n, t in session.execute(select(number, title).where(model.project_id == project.id,
                                                                model.deleted_at.is_(None))).all():
            out[(kind, n)] = {"title": t}
    for f, s, t in session.execute(
        select(Feature.feature_number, Scenario.scenario_number, Scenario.title)
        .join(Feature, Scenario.feature_id == Feature.id)
        .where(Feature.project_id == project.id, Scenario.deleted_at.is_(None), Feature.deleted_at.is_(None))
    ).all():
        out[("scenario", f"{f}/{s}")] = {"title": t, "feature": f}
    # Step definitions and test cases appear as the targets of step and test links (named by their identity).
    from tracertm.engine.links import clip_ref

    targets: tuple[tuple[str, Any, Any, Any], ...] = (
        ("step_definition", StepDefinition, StepDefinition.step_number, StepDefinition.pattern),
        ("test_case", TestCase, TestCase.test_case_number, TestCase.title),
    )
    for kind, model, number, title in targets:
        for n, t in session.execute(select(number, title).where(
                model.project_id == project.id, model.deleted_at.is_(None), number.is_not(None))).all():
            out[(kind, clip_ref(str(n)))] = {"title": t}
    return out


# ---------------------------------------------------------------------------------------------------- rendering


def render(graph: Graph, fmt: str) -> str:
    """``graph`` as ``text``, ``json``, ``dot`` (Graphviz) or ``mermaid`` (a flowchart)."""
    if fmt == "json":
        return json.dumps(graph.as_dict(), indent=2, ensure_ascii=False)
    if fmt == "dot":
        return _dot(graph)
    if fmt == "mermaid":
        return _mermaid(graph)
    return _text(graph)


def _label(node: Node, info: dict[str, Any]) -> str:
    text = f"{node[0]} {node[1]}"
    if info.get("title"):
        text += f": {info['title']}"
    if info.get("missing"):
        text += " (missing)"
    return text


def _text(graph: Graph) -> str:
    """The root, then each edge as ``source -type-> target`` grouped by the depth it was reached at."""
    lines = [_label(graph.root, graph.nodes[graph.root])]
    for edge in graph.edges:
        mark = "" if edge.state == "ok" else f"  [{edge.state}]"
        lines.append(f"  {edge.source[0]} {edge.source[1]} -{edge.type}-> {edge.target[0]} {edge.target[1]}{mark}")
    others = [n for n in graph.nodes if n != graph.root]
    lines.append(f"{len(others)} related, {len(graph.edges)} links")
    return "\n".join(lines)


def _ids(graph: Graph) -> dict[Node, str]:
    return {node: f"n{i}" for i, node in enumerate(graph.nodes)}


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _dot(graph: Graph) -> str:
    ids = _ids(graph)
    lines = ["digraph trace {", "  rankdir=LR;", "  node [shape=box, fontname=\"sans-serif\"];"]
    for node, info in graph.nodes.items():
        style = ", style=dashed" if info.get("missing") else (", style=bold" if node == graph.root else "")
        lines.append(f"  {ids[node]} [label={_dot_quote(_label(node, info))}{style}];")
    for e in graph.edges:
        attrs = f"label={_dot_quote(e.type)}"
        if e.state == "suspect":
            attrs += ", color=orange, style=dashed"
        elif e.state == "dangling":
            attrs += ", color=red, style=dotted"
        lines.append(f"  {ids[e.source]} -> {ids[e.target]} [{attrs}];")
    lines.append("}")
    return "\n".join(lines)


_MERMAID_UNSAFE = re.compile(r"[\"<>{}\[\]()|#;`]")


def _mermaid(graph: Graph) -> str:
    ids = _ids(graph)
    lines = ["flowchart LR"]
    for node, info in graph.nodes.items():
        label = _MERMAID_UNSAFE.sub(" ", _label(node, info))
        lines.append(f'  {ids[node]}["{label}"]')
    for e in graph.edges:
        arrow = "-.->" if e.state != "ok" else "-->"
        label = e.type if e.state == "ok" else f"{e.type} ({e.state})"
        lines.append(f"  {ids[e.source]} {arrow}|{label}| {ids[e.target]}")
    return "\n".join(lines)
