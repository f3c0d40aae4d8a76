"""What a report's results can name (``wanted``): the keys ``mapping.ScenarioIndex`` looks scenarios up by, read from
the results alone, so that an import reads only the scenarios stored under them (``scenario_reads``) — not every
scenario of the project for a report of one test.

The keys are a superset of the matcher's look-ups: every scenario number a tag may be, every file name a feature
file the results name can resolve to (``uris.FeaturePaths`` only ever resolves a path to a known path of the same
file name), every feature name a classname, a Cucumber feature or a JUnit runner's long name may carry (each part
after a dot, each part before a " - "; the matcher tries only those as long as a feature name), every pytest-bdd
function a test name may be. Every scenario under one of these keys is read, so that what several fit stays
ambiguous; a scenario read for another key changes no look-up it is not under. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote

from tracertm.results import mapping
from tracertm.results.match_keys import file_key, index_key, norm
from tracertm.results.report import CaseResult

__all__ = ["MAX_KEYS", "Wanted", "wanted"]

# Past this many keys (a report of tens of thousands of differently named tests, or hostile names each with
# thousands of separators) the look-ups would cost more than reading the project's scenarios: ``wanted`` gives
# None and the import reads them all, as it did before the keys were stored.
MAX_KEYS = 20_000


@dataclass
class Wanted:
    """The keys of ``match_keys`` the results can name: scenario numbers, feature name keys, file keys, pytest
    keys."""

    numbers: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    files: set[str] = field(default_factory=set)
    pytest: set[str] = field(default_factory=set)

    def size(self) -> int:
        """How many keys in all."""
        return len(self.numbers) + len(self.names) + len(self.files) + len(self.pytest)


def wanted(cases: Iterable[CaseResult], id_pattern: str) -> Wanted | None:
    """The keys ``cases`` can be matched by, or None when there are more than ``MAX_KEYS``."""
    ids = re.compile(id_pattern)
    out = Wanted()
    classnames: set[str | None] = set()
    names: set[str] = set()
    for case in cases:
        out.numbers.update(tag for tag in case.tags if ids.fullmatch(tag))
        for uri in (case.feature_uri, case.file if (case.file or "").endswith(".feature") else None):
            if uri:
                out.files.add(file_key(uri) or "")
                if "%" in uri and uri.startswith(("file:", "classpath:")):  # as ``FeaturePaths.resolve`` reads it
                    out.files.add(file_key(unquote(uri)) or "")
        out.names.add(index_key(norm(case.feature_name)))  # (a Cucumber scenario of no feature name: "")
        classnames.add(case.classname)
        names.add(norm(case.name))
        if out.size() > MAX_KEYS:
            return None
    limit = mapping.FUZZY_NAME_LIMIT  # read now: a test may lift it
    for classname in map(norm, classnames):
        if len(classname) > limit or not classname:
            continue
        out.names.add(index_key(classname))  # behave: "<dotted path>.<Feature>"; Cucumber's formatter: the feature
        at = classname.find(".")
        while at >= 0:
            out.names.add(index_key(classname[at + 1 :]))
            at = classname.find(".", at + 1)
        if out.size() > MAX_KEYS:
            return None
    for name in names:
        if len(name) > limit:
            continue
        at = name.find(" - ")  # the engine's long name: "<feature> - ..."
        while at >= 0:
            out.names.add(index_key(name[:at]))
            at = name.find(" - ", at + 1)
        if name.startswith("test_"):  # pytest-bdd: "test_<scenario>[<row>]", "_<n>" for a repeated name
            base = name.partition("[")[0]
            out.pytest.add(index_key(base))
            stem, underscore, digits = base.rpartition("_")
            if underscore and digits.isdigit():
                out.pytest.add(index_key(stem))
        if out.size() > MAX_KEYS:
            return None
    return out
