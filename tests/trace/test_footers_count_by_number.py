"""The text footers of ``matrix`` and ``trace`` agree in number with their count: ``1 requirement``, ``1 link``
(they said ``1 requirements``, ``1 links``)."""

from __future__ import annotations

from tracertm.trace import graph, matrix
from tracertm.trace.coverage import Row, State


def _rows(kind: str, count: int) -> list[Row]:
    return [Row(kind, f"REQ-{n}", None, True, ["FEAT-1/SC-1"], state=State.NOT_EXECUTED) for n in range(count)]


def test_the_matrix_footer_names_one_row_in_the_singular() -> None:
    assert matrix.render(_rows("requirement", 1), "text", "requirements").endswith(
        "\n\n1 requirement: 1 not executed")
    assert matrix.render(_rows("requirement", 2), "text", "requirements").endswith(
        "\n\n2 requirements: 2 not executed")
    assert matrix.render(_rows("adr", 1), "text", "adrs").endswith("\n\n1 adr: 1 not executed")


def test_the_trace_footer_names_one_link_in_the_singular() -> None:
    root = ("requirement", "REQ-1")
    feature, scenario = ("feature", "FEAT-1"), ("scenario", "FEAT-1/SC-1")
    one = graph.Graph(root, {root: {}, feature: {}}, [graph.Edge(feature, root, "covers")])
    assert graph.render(one, "text").splitlines()[-1] == "1 related, 1 link"
    two = graph.Graph(root, {root: {}, feature: {}, scenario: {}},
                      [graph.Edge(feature, root, "covers"), graph.Edge(scenario, root, "covers")])
    assert graph.render(two, "text").splitlines()[-1] == "2 related, 2 links"
