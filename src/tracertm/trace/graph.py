"""The graph around one record: its links followed both ways up to a depth, plus feature ↔ scenario containment.

Rendered as an indented text tree, JSON (nodes and edges), Graphviz DOT or a Mermaid flowchart.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracertm.engine.links import clip_ref, scenario_ref_splits
from tracertm.errors import UsageError
from tracertm.models import ADR, Contract, Feature, Link, Project, Scenario, StepDefinition, TestCase
from tracertm.trace.graph_pages import DEFAULT_EDGES, EdgeKey, GraphCursor, digest
from tracertm.trace.review import RECORD_KINDS, dangling_reasons, link_state, why_dangling

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
    """The nodes of a page of the graph around ``root`` (with title, whether the record is missing, and depth): the
    root and the ends of the page's edges. ``next_cursor``: where the next page of edges starts (None: no edge
    follows these; ``truncated`` says the same)."""

    root: Node
    nodes: dict[Node, dict[str, Any]] = field(default_factory=dict)  # title, missing
    edges: list[Edge] = field(default_factory=list)
    limit: int = DEFAULT_EDGES
    next_cursor: str | None = None

    @property
    def truncated(self) -> bool:
        """Whether edges follow this page's (``next_cursor`` lists them)."""
        return self.next_cursor is not None

    def as_dict(self) -> dict[str, Any]:
        return {
            "root": _key(self.root),
            "nodes": [{"id": _key(n), "kind": n[0], "ref": n[1], **info} for n, info in self.nodes.items()],
            "edges": [{"source": _key(e.source), "target": _key(e.target), "type": e.type, "state": e.state}
                      for e in self.edges],
            "truncated": self.truncated,
            "page": {"next": self.next_cursor, "limit": self.limit},
        }


def _key(node: Node) -> str:
    return f"{node[0]}:{node[1]}"


# Reached through step and test links, step definitions and test cases are shown but not followed further: one
# shared step ("Given a logged-in user") links every scenario that uses it, and following it would pull them all in.
LEAF_KINDS = frozenset({"step_definition", "test_case"})


def _root(session: Session, project: Project, ident: str) -> tuple[Node, uuid.UUID | None]:
    """A record id (``ADR-0003``, ``CTR-1``, a feature, ``FEATURE/SCENARIO``, ``STEP-n`` or ``file::function``, a
    test id) or a requirement id some link names; with the record's row id (None for a requirement)."""
    from tracertm.repositories import find_any
    from tracertm.repositories.errors import NotFound
    from tracertm.repositories.projects import command
    from tracertm.text import quoted_command
    from tracertm.steps.queries import find_definition, looks_like_step

    if looks_like_step(ident):
        definition = find_definition(session, project, ident)
        if definition is not None and definition.step_number:
            return ("step_definition", clip_ref(definition.step_number)), definition.id
    try:
        k, row = find_any(session, project, ident)
        kind = k.name
    except NotFound:  # (``find_any`` reads ``scenario:<UUID>`` too, as the pages link a ``..`` id)
        known = _target_kind(session, project, ident)
        if known is None:  # (NotFound: the API answers 404, as for an unknown record)
            listing, matrix = command("list", "KIND", project=project.name), command("matrix", project=project.name)
            raise NotFound(
                f"{ident}: no record and no link target with this id in project {project.name}; "
                f"see {quoted_command(listing)} or {quoted_command(matrix)}"
            ) from None
        return (known, ident), None
    return _node(kind, row), row.id


def _node(kind: str, row: Any) -> Node:
    """The node of a record's row: its kind and its human id (a scenario's ``FEATURE/SCENARIO``)."""
    from tracertm.kinds import NUMBER_COLUMN

    if kind == "scenario":
        return "scenario", f"{row.feature.feature_number}/{row.scenario_number}"
    if kind == "test_case":
        return "test_case", clip_ref(row.test_case_number)
    return kind, str(getattr(row, NUMBER_COLUMN[kind]))


def _target_kind(session: Session, project: Project, ident: str) -> str | None:
    """The kind of node an id no record has stands for, from the links to it (None: no link names it).

    One id can be the target of links of two kinds: a ``requirement_pattern`` that takes Jira-style keys matches
    ``ADR-0009`` too, so a text that mentions a missing ADR-0009 links it as an ADR (dangling) and covers it as a
    requirement. The requirement wins, the id's one existing meaning (requirements are never records), as a record's
    own kind wins when one has the id; any other tie by the kind's name, so the root is the same on every database
    (the first link the database returned was either)."""
    kinds = session.execute(
        select(Link.target_kind).where(Link.project_id == project.id, Link.target_ref == ident).distinct()
    ).scalars().all()
    return min(kinds, key=lambda kind: (kind != "requirement", kind), default=None)


def build(session: Session, project: Project, ident: str, depth: int = 2, limit: int | None = None,
          cursor: str | None = None) -> Graph:
    """Breadth-first over links (either direction) and containment from ``ident``, ``depth`` steps at most; a page of
    at most ``limit`` edges (default :data:`DEFAULT_EDGES`) in the order the walk reached them, and the nodes they
    join. ``cursor`` (a page's ``next_cursor``) is the next page: it carries the depth and the page size (``limit``
    given next to it wins), ``ident`` must be the graph's root (else :class:`UsageError`, as for a forged one).

    Each step reads only the links of the nodes it expands (by source id and by the indexed target reference) and
    the containment around them, so the cost follows the size of the graph, not of the project; the walk stops at
    the first round past the page's last edge, and titles are read for the page's nodes only. Step definitions and
    test cases are leaves unless they are the root (:data:`LEAF_KINDS`)."""
    if depth < 0:
        raise UsageError(f"--depth {depth}: give 0 or more")
    root, root_id = _root(session, project, ident)
    after = GraphCursor.decode(cursor, project.id, _key(root)) if cursor else None
    if after is not None:
        depth, limit = after.depth, limit or after.limit
    size = limit or DEFAULT_EDGES
    ids: dict[Node, uuid.UUID] = {root: root_id} if root_id is not None else {}
    distance = {root: 0}
    seen: set[Edge] = set()
    ordered: list[tuple[EdgeKey, Edge]] = []
    frontier = [root]
    for d in range(depth):
        expand = [n for n in frontier if n == root or n[0] not in LEAF_KINDS]
        if not expand:
            break
        found = _adjacent(session, project, expand, ids)
        frontier = []
        for edge in sorted(found - seen, key=lambda e: (e.source, e.type, e.target)):
            seen.add(edge)
            ordered.append((_edge_key(d + 1, edge), edge))
            for other in (edge.source, edge.target):
                if other not in distance:
                    distance[other] = d + 1
                    frontier.append(other)
        # Every edge of a later round comes after this round's: once more than a page follows the cursor, the page
        # and whether another follows are known (a shared step's 20,000 scenarios are not walked for 500 edges).
        reached = after is None or d + 1 >= after.key[0]  # (the cursor's own round is walked)
        if reached and len(_following(ordered, after)) > size:
            break
    pending = _following(ordered, after)
    graph = Graph(root, edges=[edge for _, edge in pending[:size]], limit=size)
    if len(pending) > size:
        graph.next_cursor = GraphCursor(project.id, _key(root), depth, size, pending[size - 1][0]).encode()
    shown = {root} | {end for edge in graph.edges for end in (edge.source, edge.target)}
    _describe(session, project, graph, {node: distance[node] for node in shown})
    return graph


def _edge_key(round_: int, edge: Edge) -> EdgeKey:
    """An edge's place in the walk's order: its round, then source, type and target (as each round sorts them)."""
    return (round_, edge.source[0], edge.source[1], edge.type, edge.target[0], edge.target[1])


def _following(ordered: list[tuple[EdgeKey, Edge]], after: GraphCursor | None) -> list[tuple[EdgeKey, Edge]]:
    """The edges of ``ordered`` (in the walk's order) after the cursor's last edge: after its values; or, when it
    carries their digest, after the edge of its round with that digest, which must still be in the graph."""
    if after is None:
        return ordered
    if after.digest is None:
        return [pair for pair in ordered if pair[0] > after.key]
    for place, (key, _edge) in enumerate(ordered):
        if key[0] == after.key[0] and digest(key) == after.digest:
            return ordered[place + 1:]
    raise UsageError("cursor: the last record of its page has changed or is gone since; start again without it")


def _describe(session: Session, project: Project, graph: Graph, distance: dict[Node, int]) -> None:
    """The nodes of ``graph`` (``distance``: each one's depth) with their titles, in the order of their depth."""
    titles = _titles(session, project, list(distance))
    # Why the links to a missing record dangle (``review.why_dangling``): one query for the ADRs among them.
    adrs = {ref for kind, ref in distance if kind == "adr" and (kind, ref) not in titles}
    reasons = dangling_reasons(session, project, adrs) if adrs else {}
    for node in sorted(distance, key=lambda n: (distance[n], n)):
        why = None
        if node not in titles and node[0] in RECORD_KINDS:
            why = reasons.get(node[1]) or why_dangling((None, ()))
        graph.nodes[node] = {
            "title": titles.get(node),
            "missing": node not in titles and node[0] != "requirement",
            "depth": distance[node],
            "dangling": why,
        }


def _adjacent(session: Session, project: Project, nodes: list[Node], ids: dict[Node, uuid.UUID]) -> set[Edge]:
    """Every link from or to ``nodes``, and feature ↔ scenario containment; learns the row ids of the nodes met."""
    from tracertm.engine.apply import iter_chunks

    edges: set[Edge] = set()

    def add(link: Any) -> None:
        source, target = (link["source_kind"], link["source_ref"]), (link["target_kind"], link["target_ref"])
        ids.setdefault(source, link["source_id"])
        if link["target_id"] is not None:
            ids.setdefault(target, link["target_id"])
        edges.add(Edge(source, target, link["link_type"], link_state(link)))

    # Plain rows, not ORM objects: a node as shared as a step definition can have tens of thousands of links.
    columns = (Link.source_kind, Link.source_ref, Link.source_id, Link.target_kind, Link.target_ref, Link.target_id,
               Link.link_type, Link.target_version, Link.reviewed_version)
    known = [ids[n] for n in nodes if n in ids]
    for chunk in iter_chunks(known):
        for link in session.execute(select(*columns).where(Link.source_id.in_(chunk))).mappings():
            add(link)
    by_kind: dict[str, list[str]] = defaultdict(list)
    for kind, ref in nodes:
        by_kind[kind].append(ref)
    for kind, refs in by_kind.items():
        for chunk in iter_chunks(sorted(refs)):
            for link in session.execute(select(*columns).where(
                    Link.project_id == project.id, Link.target_kind == kind, Link.target_ref.in_(chunk))).mappings():
                add(link)
    # Containment: a feature contains its live scenarios; a scenario is contained by its feature.
    features = sorted(set(by_kind.get("feature", ()))
                      | {f for ref in by_kind.get("scenario", ()) for f, _ in scenario_ref_splits(ref)})
    scenarios = set(by_kind.get("scenario", ()))
    wanted = set(by_kind.get("feature", ()))
    for chunk in iter_chunks(features):
        for f_id, f, s_id, s in session.execute(
            select(Feature.id, Feature.feature_number, Scenario.id, Scenario.scenario_number)
            .join(Feature, Scenario.feature_id == Feature.id)
            .where(Feature.project_id == project.id, Feature.feature_number.in_(chunk),
                   Scenario.deleted_at.is_(None), Feature.deleted_at.is_(None))
        ).all():
            scenario = ("scenario", f"{f}/{s}")
            if f in wanted or scenario[1] in scenarios:
                ids.setdefault(("feature", f), f_id)
                ids.setdefault(scenario, s_id)
                edges.add(Edge(("feature", f), scenario, "contains"))
    return edges


def _titles(session: Session, project: Project, nodes: list[Node]) -> dict[Node, str | None]:
    """The titles of the live records among ``nodes`` (a node absent from the answer has no live record)."""
    from tracertm.engine.apply import iter_chunks

    by_kind: dict[str, list[str]] = defaultdict(list)
    for kind, ref in nodes:
        by_kind[kind].append(ref)
    out: dict[Node, str | None] = {}
    tables: dict[str, tuple[Any, Any, Any]] = {
        "adr": (ADR, ADR.adr_number, ADR.title),
        "contract": (Contract, Contract.contract_number, Contract.title),
        "feature": (Feature, Feature.feature_number, Feature.name),
        "step_definition": (StepDefinition, StepDefinition.step_number, StepDefinition.pattern),
        "test_case": (TestCase, TestCase.test_case_number, TestCase.title),
    }
    for kind, (model, number, title) in tables.items():
        refs = by_kind.get(kind, [])
        # Step and test ids longer than a link reference are clipped in links: match them by their full value.
        full = {clip_ref(r): r for r in refs}
        for chunk in iter_chunks(sorted(refs)):
            for n, t in session.execute(select(number, title).where(
                    model.project_id == project.id, model.deleted_at.is_(None), number.in_(chunk))).all():
                out[(kind, full.get(clip_ref(str(n)), str(n)))] = t
        clipped = [r for r in refs if "…" in r and (kind, r) not in out]
        for r in clipped:  # rare: find the long identity by its prefix
            for n, t in session.execute(select(number, title).where(
                    model.project_id == project.id, model.deleted_at.is_(None),
                    number.startswith(r.split("…", 1)[0], autoescape=True))).all():
                if clip_ref(str(n)) == r:
                    out[(kind, r)] = t
    pairs = {pair for ref in by_kind.get("scenario", []) for pair in scenario_ref_splits(ref)}
    for chunk in iter_chunks(sorted({f for f, _ in pairs})):
        for f, s, t in session.execute(
            select(Feature.feature_number, Scenario.scenario_number, Scenario.title)
            .join(Feature, Scenario.feature_id == Feature.id)
            .where(Feature.project_id == project.id, Feature.feature_number.in_(chunk),
                   Scenario.deleted_at.is_(None), Feature.deleted_at.is_(None))
        ).all():
            if (f, s) in pairs:
                out[("scenario", f"{f}/{s}")] = t
    return out


# ---------------------------------------------------------------------------------------------------- rendering


def render(graph: Graph, fmt: str) -> str:
    """``graph`` as ``text``, ``json``, ``dot`` (Graphviz) or ``mermaid`` (a flowchart)."""
    if fmt == "json":
        from tracertm.output import to_json  # (standard output's JSON: escapes where it cannot hold a character)

        return to_json(graph.as_dict())
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
        why = info.get("dangling") or {}
        # (a plain ADR id whose number two ADRs have with a slug: "missing" would be false)
        ambiguous = why.get("reason") == "ambiguous"
        text += f" (ambiguous: {' or '.join(why['candidates'])})" if ambiguous else " (missing)"
    return text


def _text(graph: Graph) -> str:
    """The root, then each edge as ``source -type-> target`` grouped by the depth it was reached at."""
    from tracertm.output import counted, one_line

    # Titles and ids are the files' text: a line break or an escape sequence in one would split a line or reach the
    # terminal (``one_line`` writes them as ``\n``, ``\x1b``).
    lines = [one_line(_label(graph.root, graph.nodes[graph.root]))]
    for edge in graph.edges:
        mark = "" if edge.state == "ok" else f"  [{edge.state}]"
        lines.append(one_line(
            f"  {edge.source[0]} {edge.source[1]} -{edge.type}-> {edge.target[0]} {edge.target[1]}{mark}"))
    others = [n for n in graph.nodes if n != graph.root]
    more = "; more follow" if graph.truncated else ""
    lines.append(f"{len(others)} related, {counted(len(graph.edges), 'link')}{more}")
    return "\n".join(lines)


def _ids(graph: Graph) -> dict[Node, str]:
    return {node: f"n{i}" for i, node in enumerate(graph.nodes)}


def _dot_quote(text: str) -> str:
    """``text`` as a DOT string on one line: control characters escaped as the text format writes them, so a title
    can neither end the statement nor split it."""
    from tracertm.output import one_line

    return '"' + one_line(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


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
    from tracertm.output import one_line

    ids = _ids(graph)
    lines = ["flowchart LR"]
    for node, info in graph.nodes.items():
        # One line per node: a line break in a title would end the node's definition mid-label.
        label = _MERMAID_UNSAFE.sub(" ", one_line(_label(node, info)))
        lines.append(f'  {ids[node]}["{label}"]')
    for e in graph.edges:
        arrow = "-.->" if e.state != "ok" else "-->"
        label = e.type if e.state == "ok" else f"{e.type} ({e.state})"
        # Quoted: Mermaid's grammar takes no parenthesis in a bare edge label (``|implements (suspect)|`` is a
        # parse error, and GitHub shows none of the diagram); a type or state holds no double quote.
        lines.append(f'  {ids[e.source]} {arrow}|"{label}"| {ids[e.target]}')
    return "\n".join(lines)
