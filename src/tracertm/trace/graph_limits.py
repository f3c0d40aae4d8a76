"""How many edges one answer of a trace graph holds: the constants the CLI's ``trace`` options and the API's
query parameters are bounded by. A module of their own, importing nothing: building the command line reads them,
and ``graph_pages`` (which imports the query layer, hence SQLAlchemy and every model) would make ``tracertm
--version`` load the ORM."""

from __future__ import annotations

# Edges per answer unless ``limit`` says otherwise, and the most one answer holds (a shared step definition can be
# used by 20,000 scenarios: its whole graph was 6.7 MB).
DEFAULT_EDGES = 500
MAX_EDGES = 5000
