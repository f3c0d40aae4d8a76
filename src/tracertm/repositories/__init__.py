"""The query layer: one repository per kind over a session (``Records``), projects (``Projects``), errors.

The CLI's ``list/show/history/status`` and the HTTP API both read through here, so they never disagree.
"""

from tracertm.repositories.errors import Ambiguous, GitOwnedField, NotFound, StaleVersion
from tracertm.repositories.kinds import KINDS, Kind, kind
from tracertm.repositories.projects import Projects
from tracertm.repositories.lookup import find_any
from tracertm.repositories.records import ListPage, Records

__all__ = [
    "KINDS", "Ambiguous", "GitOwnedField", "Kind", "ListPage", "NotFound", "Projects", "Records", "StaleVersion",
    "find_any", "kind",
]
