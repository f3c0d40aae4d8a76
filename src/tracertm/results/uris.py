"""One feature file, one name: the path a runner gives a feature file, read as the path the project knows it by.

Runners name one file many ways: cucumber-jvm ``classpath:features/a.feature`` (relative to a classpath root such
as ``src/test/resources``) or ``file:src/test/resources/features/a.feature``, cucumber-js
``src/test/resources/features/a.feature``, a CI runner ``file:///builds/acme/shop/features/a.feature`` or
``/home/ci/work/features/a.feature`` (the checkout's place on that machine). ``FeaturePaths.resolve`` reads each as
the project's own (root-relative) path of that feature file, so that a test case's external id and its mapping do
not depend on the runner, the build tool or the machine. A path that names no known feature file, or several, is
kept as ``normalize_path`` reads it: nothing is guessed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from urllib.parse import unquote

from tracertm.results.report import Report, external_id, feature_id, normalize_path

__all__ = ["FeaturePaths", "canonical_report"]


class FeaturePaths:
    """The feature files of a project (root-relative paths), and how a runner's name of one is read."""

    def __init__(self, paths: Iterable[str]) -> None:
        self.paths = frozenset(normalize_path(p) for p in paths if p)
        # Every tail after a "/" of a known path → the known paths that end with it: a classpath- or
        # module-relative name is such a tail.
        self._tails: dict[str, list[str]] = {}
        for path in sorted(self.paths):
            for position, char in enumerate(path):
                if char == "/":
                    self._tails.setdefault(path[position + 1 :], []).append(path)
        self._lengths = frozenset(map(len, self.paths))  # a tail is looked up only when a known path is that long
        self._read: dict[str, str] = {}  # a report names one file in every test of it: read once

    def resolve(self, uri: str) -> str:
        """The project's path of the feature file ``uri`` names:

        - the path itself, without ``file:``/``file://``/``classpath:``/``./`` (and a URI's percent-encoding), when
          the project has that file;
        - else the one known file whose path ends with it (``classpath:features/a.feature`` →
          ``src/test/resources/features/a.feature``; a runner started in a module's folder);
        - else (not for ``classpath:``) its longest tail that is a known file (an absolute path of a CI machine's
          checkout, a runner started above the project's root);
        - else, when no file or several fit, the path as ``normalize_path`` reads it."""
        found = self._read.get(uri)
        if found is None:
            found = self._read[uri] = self._resolve(uri)
        return found

    def _resolve(self, uri: str) -> str:
        if "%" in uri and uri.startswith(("file:", "classpath:")):
            # A URI, percent-encoded (cucumber-jvm writes java.net.URI strings: ``my%20cart.feature``); a plain
            # path is taken as written (a file may be called ``100%.feature``).
            uri = unquote(uri)
        path = normalize_path(uri)
        if path in self.paths or not self.paths:
            return path
        below = self._tails.get(path, ())
        if len(below) == 1:
            return below[0]
        if below or uri.startswith("classpath:"):
            return path  # several files fit (or none on the classpath): never guessed
        size, lengths = len(path), self._lengths
        position = path.find("/")
        while position >= 0:  # from the front: the longest tail first; each "/" once, cut only at a known length
            if size - position - 1 in lengths and (tail := path[position + 1 :]) in self.paths:
                return tail
            position = path.find("/", position + 1)
        return path


def canonical_report(report: Report, paths: FeaturePaths) -> Report:
    """``report`` with each Cucumber test case's external id built from the project's path of its feature file
    (``FeaturePaths.resolve``) instead of the path as the runner wrote it. JUnit reports (no ``local_ids``: their ids
    name no file) are returned as they are."""
    if not report.local_ids:
        return report
    cases = []
    changed = False
    for case, local in zip(report.cases, report.local_ids, strict=True):
        if case.feature_uri:
            path = paths.resolve(case.feature_uri)
            if path != feature_id(case.feature_uri):
                case = replace(case, external_id=external_id(path, local))
                changed = True
        cases.append(case)
    return replace(report, cases=tuple(cases)) if changed else report
