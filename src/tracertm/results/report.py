"""What the result parsers produce: plain, immutable records of one report, independent of its format."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import operator
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from tracertm.errors import ParseError
from tracertm.text import is_text

FAILING = frozenset({"failed", "error", "undefined", "pending"})
DEFAULT_MAX_REPORT_SIZE = 64 * 1024 * 1024  # bytes; a JUnit report of 20,000 tests is about 3 MB
MAX_EXTERNAL_ID = 255  # test_cases.test_case_number
MAX_RUN_NAME = 255  # test_runs.name
# The longest name, id, uri or tag a JSON report (Cucumber JSON, Messages) may hold, in characters. Names are
# identities (never cut); one of 50 MB peaked at 670 MB while imported. Far above what any runner writes.
MAX_NAME_CHARS = 1024 * 1024


_RANK = {"passed": 0, "skipped": 1, "pending": 2, "undefined": 3, "failed": 4, "error": 5}


def worst(statuses: list[str] | tuple[str, ...]) -> str:
    """The outcome of several step (or row) outcomes: failed beats undefined beats pending beats skipped beats
    passed. No outcome at all counts as skipped (nothing ran)."""
    if not statuses:
        return "skipped"
    # Cucumber skips the steps after a failing one, and all steps of a skipped scenario: a skipped step next to
    # passed ones means the scenario did not run to its end, so "skipped" ranks above "passed".
    return max(statuses, key=lambda s: _RANK.get(s, _RANK["failed"]))


def skipped_after_a_run(status: str, before: str) -> bool:
    """Whether a test's later attempt (a retry, a rerun, its report in a later file of the import), of ``status``,
    decides nothing after an earlier one of ``before``: a skip is no execution, so it is not the last attempt that
    ran — after a failure the failure decides (a retry a Before hook skipped must not erase it: a test that ran and
    failed is never "never executed"), after a pass the pass does. After a skip, the later report decides."""
    return status == "skipped" and before != "skipped"


def first_line(text: str | None, limit: int = 1000) -> str | None:
    """The first non-empty line of a message, clipped to the column size."""
    if not text:
        return None
    for line in text.splitlines():
        line = line.strip()
        if line:
            return clip(line, limit)
    return None


def failure_line(text: str | None, limit: int = 1000) -> str | None:
    """A failure's message as pytest's JUnit writes it (its ``message``: the exception that ended the test, first
    line) when ``text`` is a pytest traceback — pytest-bdd's ``--cucumberjson`` error_message — else its first
    non-empty line (``first_line``). pytest marks the exception's lines ``E   ``; a chained exception's traceback
    shows each exception so, the one that ended the test last: the first line of the last block of ``E`` lines."""
    if not text or not (text.startswith("E   ") or "\nE   " in text):  # no pytest traceback: most messages
        return first_line(text, limit)
    found: str | None = None
    block = False  # inside a block of E lines
    for line in text.splitlines():
        marked = line.startswith("E   ") or line.rstrip() == "E"
        if marked and not block:
            found = None  # a later block: the exception chained to the earlier one's
        block = marked
        if marked and found is None and line[1:].strip():
            found = line[1:].strip()
    return clip(found, limit) if found else first_line(text, limit)


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clean_text(text: str) -> str:
    """Text read from a JSON report (or an upload's file name) as every database stores it: a NUL character, which
    PostgreSQL refuses in text (SQLite keeps it), and a lone surrogate (``"\\ud800"``, no UTF-8 at all) become
    U+FFFD."""
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    return text if is_text(text) else _SURROGATE.sub("\ufffd", text)


_SURROGATE = re.compile("[\ud800-\udfff]")  # JSON's "\ud83d\ude00" is one character once decoded: these are alone


def run_label(name: str | None) -> str | None:
    """A report's own suite name as the run's name (only a label): clipped to the column, as every database stores
    it (PostgreSQL would refuse a longer one, SQLite keep it)."""
    return clip(name, MAX_RUN_NAME) if name else name


def finite(seconds: float | None) -> float | None:
    """A duration, or None when it is no number of seconds: an infinite or NaN one (``time="inf"``, ``1e400``) is
    unknown (stored, it would print as ``Infinity`` / ``NaN``, which is not JSON), and so is a negative one
    (``time="-5"``): nothing runs for less than no time."""
    return seconds if seconds is not None and math.isfinite(seconds) and seconds >= 0 else None


# How far past the import's own time a report's clock may be (clock skew between the test machine and the one that
# imports): a later time is no time the tests ran at.
CLOCK_SKEW = dt.timedelta(days=1)


def latest_run_time() -> dt.datetime:
    """The latest time a report being imported now can have run at: now, plus ``CLOCK_SKEW``. A report's time after
    it (``timestamp="9999-12-31T23:59:59"``, a broken CI clock) is unknown, as a time past the calendar is: it would
    otherwise be the scenario's newest run for ever."""
    return dt.datetime.now(dt.timezone.utc) + CLOCK_SKEW


def plausible(when: dt.datetime | None) -> dt.datetime | None:
    """``when`` (an aware time), or None when it is after ``latest_run_time``."""
    return when if when is not None and when <= latest_run_time() else None


def normalize_path(path: str) -> str:
    """A runner's file name as a POSIX path (``file://``, cucumber-jvm's ``file:`` and ``classpath:``, ``./`` and
    backslashes removed); absolute paths match a feature by their tail (``mapping.ScenarioIndex``). Also the path
    part of a Cucumber test case's external id: the same scenario run by cucumber-jvm and cucumber-js is one test
    case."""
    path = path.replace("\\", "/")
    if path.startswith("file://"):
        path = path[7:]
    elif path.startswith("file:"):  # cucumber-jvm's JSON: "file:path/test.feature", "file:/abs/path.feature"
        path = path[5:]
    path = path.removeprefix("classpath:")
    start = 0
    while path.startswith("./", start):  # one cut, however many "./" (not one copy of the path per "./")
        start += 2
    return path[start:] if start else path


def feature_id(uri: str | None) -> str | None:
    """The path part of a Cucumber test case's external id as a report alone tells it: ``uri`` as ``normalize_path``
    reads it (``file:features/a.feature`` and ``features/a.feature`` are one test case). An import then reads it as
    the project's path of that file (``uris.canonical_report``: ``classpath:``, absolute paths), and finds test cases
    stored under an older form of it (``stored_ids``)."""
    return normalize_path(uri) if uri else None


def external_id(*parts: str | None) -> str:
    """A stable test case id from its parts; ids too long for the column keep a prefix and a hash of the rest."""
    text = "::".join(p for p in parts if p)
    if len(text) <= MAX_EXTERNAL_ID:
        return text
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return text[: MAX_EXTERNAL_ID - 18] + "~" + digest


@dataclass(frozen=True)
class CaseResult:
    """One test case's final outcome in a report, with every hint that can tie it to a scenario."""

    external_id: str
    name: str
    status: str
    duration: float | None = None  # seconds
    message: str | None = None
    classname: str | None = None
    file: str | None = None  # JUnit ``file`` attribute (pytest: the Python module)
    feature_uri: str | None = None  # Cucumber: the .feature file as the runner named it
    feature_name: str | None = None
    scenario_name: str | None = None
    line: int | None = None  # Cucumber: the scenario's line, or the example row's line for outline rows
    tags: tuple[str, ...] = ()  # without "@"
    failed_attempts: int = 0  # failures before the final outcome (retries, Surefire flakyFailure)
    # Its report never writes a rerun as another report of the test (behave's JUnit: each scenario once, named
    # without its Rule): a second report of its id is another test (``last_reports``).
    distinct: bool = False
    # JUnit: the name of the innermost ``<testsuite>`` holding the test. One id in two suites is two tests, not a
    # rerun (``last_reports``): jest-junit writes a suite per test file, often with an empty classname.
    suite: str | None = None
    # JUnit: which ``<testsuite>`` of that name in the report holds it (1: the first). A later suite of a name holds
    # a rerun of the earlier one's failures (cucumber's rerun file, ``pytest --lf``, concatenated) or other runs of
    # its tests: another task, machine or job (``apart``). Counted over the files of an import (``final_cases``).
    suite_seq: int = 1
    # JUnit: its suite's producer writes each test once, a rerun inside its ``<testcase>`` (Surefire's
    # ``flakyFailure``, jest-junit): a later suite of its name holds other runs of its tests, never reruns.
    once: bool = False
    # Its report writes a test again only to retry it after a failure, without that failure (pytest:
    # pytest-rerunfailures and flaky write each retried attempt as an empty ``<testcase>``): a report of it followed
    # by another in its suite is a failed attempt, whatever it shows (``last_reports``).
    retried: bool = False
    # pytest's report of a failing teardown after its test's failed call: pytest writes it as a ``<testcase>`` of
    # its own (keeping to the JUnit schema's one outcome per test case), part of the same attempt, no rerun
    # (``last_reports``).
    teardown: bool = False
    properties: tuple[tuple[str, str], ...] = ()  # JUnit <properties>, kept in the test case's metadata


@dataclass(frozen=True)
class Report:
    """One parsed report file."""

    path: str
    format: str  # junit | cucumber-json | cucumber-messages
    digest: str  # sha256 of the file's bytes
    cases: tuple[CaseResult, ...]
    name: str | None = None
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    # Cucumber reports: each case's id within its feature file (its external id without the path part, unclipped),
    # in the order of ``cases``: the import rebuilds the id from the project's path of the file
    # (``uris.canonical_report``). Empty for JUnit, whose ids name no file.
    local_ids: tuple[str, ...] = ()
    # What made the run itself fail outside its test cases (Cucumber Messages: a failed BeforeAll or AfterAll hook,
    # an error of the runner, a stream cut off), in the report's words; None when nothing did. No test case's result
    # shows it, unless ``failure_shown``: a stream cut off in its scenarios, recorded as errors.
    failure: str | None = None
    failure_shown: bool = False
    # JUnit: the sha256 of the document's text as UTF-8, whatever encoding it came in (``junit.text_digest``), when it
    # differs from ``digest``: the same report re-encoded (UTF-16, or sent with a charset) has the same one.
    text_digest: str | None = None
    # JUnit: the first suite ``timestamp`` written without a time zone, as written (read as UTC; the import warns:
    # ``ImportSummary.zoneless_times``). None when every time read names its zone, or there is none.
    zoneless_time: str | None = None

    @property
    def digests(self) -> tuple[str, ...]:
        """What the report is known by when imported again: its bytes' digest (runs imported before text digests
        were kept know it by that alone), then its text's."""
        return (self.digest, self.text_digest) if self.text_digest else (self.digest,)


def final_cases(reports: Iterable[Report]) -> list[CaseResult]:
    """One result per test case, in the order each was first reported: the reports of an import read as one report
    of all their tests, file after file (``last_reports``). A test re-run counts with its last report and its
    earlier failures as failed attempts; a JUnit suite of a name an earlier file has too is that file's later suite
    of the name (``_repeated_suites``: a rerun of its failures, or other runs kept apart) — as when the files are
    concatenated into one. (A later file's result used to replace the earlier one's whole: its failure was lost.)
    ``results import`` stores these and ``check --results`` judges these, so both agree."""
    reports = list(reports)
    if len(reports) == 1:
        return list(last_reports(reports[0].cases).values())
    cases: list[CaseResult] = []
    suites: dict[str, int] = {}  # JUnit: how many suites of each name the files before had
    for report in reports:
        cases += _numbered(report.cases, suites) if report.format == "junit" else report.cases
    return list(last_reports(cases).values())


def _numbered(cases: Sequence[CaseResult], suites: dict[str, int]) -> Sequence[CaseResult]:
    """The cases of one JUnit file, each suite numbered after the ``suites`` of its name in the files before (which
    then count this file's too). Tests outside any ``<testsuite>`` (``suite`` None) are one group in every file, as
    in one file: a test reported again there is a rerun."""
    if any(case.suite in suites for case in cases if case.suite is not None):
        cases = [replace(case, suite_seq=case.suite_seq + suites[case.suite])
                 if case.suite is not None and case.suite in suites else case for case in cases]
    here: dict[str, int] = {}
    for case in cases:
        if case.suite is not None:
            here[case.suite] = max(here.get(case.suite, 0), case.suite_seq)
    suites.update(here)
    return cases


_EXTERNAL_ID = operator.attrgetter("external_id")


def last_reports(cases: Sequence[CaseResult]) -> dict[str, CaseResult]:
    """The cases of one report by external id, in the order each test was first reported. A test reported again in
    the same report is a rerun (gotestsum ``--rerun-fails``, Gradle's test-retry and pytest-rerunfailures write every
    attempt as a ``<testcase>`` of its own): its last report is its outcome, and every earlier report that failed
    counts as a failed attempt before it (with the attempts it carried), as Surefire's ``flakyFailure`` does — a
    test that failed, then passed, passed with a failed attempt: flaky. A pass without a message of its own takes
    the last failure's, as after a ``flakyFailure``. A skipped report after one that ran decides nothing
    (``skipped_after_a_run``): failed, then skipped, is the failure. (``results.streamed`` makes its chunks' tests
    unique with this too: what it stores is what the in-process import stores.)

    A report that writes each test once (``CaseResult.distinct``: behave, whose JUnit names two scenarios of one
    feature alike when they differ only by their Rule) holds no reruns: its tests of one id are several tests, and
    their one result is the worst of them — a failure never disappears behind a pass.

    In pytest's reports (``CaseResult.retried``) each earlier report is a failed attempt even when it shows no
    failure: pytest-rerunfailures and flaky write a retried attempt as an empty ``<testcase>``. Reports whose producer
    writes each test once (Surefire, jest-junit) never get here with one id twice: ``junit`` numbers their namesakes.
    A pytest report of a failing teardown after a failed call (``CaseResult.teardown``) is part of that attempt.

    Only a test reported again in the same suite is a rerun (the retrying tools write the attempts there): tests of
    one id in different suites (``CaseResult.suite``) are different tests, each under its id qualified by its suite
    (``apart``)."""
    unique = dict(zip(map(_EXTERNAL_ID, cases), cases))  # in C: a report without reruns costs no more than this
    if len(unique) == len(cases):
        return unique
    cases = apart(cases)
    unique.clear()
    for case in cases:
        before = unique.get(case.external_id)
        if before is not None and (case.distinct or before.distinct):
            case = _worse(before, case)
        elif before is not None and case.teardown and before.status == "failed":
            case = _with_teardown(before, case)
        elif before is not None and skipped_after_a_run(case.status, before.status):
            # pytest writes a retried attempt as an empty <testcase>: it failed, whatever it shows
            case = replace(before, status="failed") if before.retried and before.status == "passed" else before
        elif before is not None:
            failed = before.status in FAILING or before.retried
            message = case.message
            if message is None and case.status == "passed":
                message = before.message if failed or before.failed_attempts else None
            case = replace(case, failed_attempts=case.failed_attempts + before.failed_attempts + failed,
                           message=message)
        unique[case.external_id] = case
    return unique


def namesakes(reported: Iterable[CaseResult], kept: Iterable[CaseResult]) -> int:
    """How many of the ``reported`` cases ``last_reports`` folded into another test's result because their report
    names several tests alike (``CaseResult.distinct``: behave's same-named scenarios, kept as the worse of them),
    not as reruns: the import tells its user which it did (``ImportSummary.namesakes``)."""
    return sum(case.distinct for case in reported) - sum(case.distinct for case in kept)


def apart(cases: Sequence[CaseResult]) -> Sequence[CaseResult]:
    """``cases`` with the external id of each test whose id (``classname::name``) occurs in more than one suite of
    the report qualified by its suite's name, ``<suite>::<classname>::<name>``: two tests of jest-junit's (one suite
    per test file, an empty classname) or of a nested report (``A`` in suites ``TestA`` and ``TestB``) that share a
    name are two tests, whose failures are not merged into one flaky pass. An id that occurs in one suite only (every
    report without such a clash) keeps its unqualified form: the test cases stored from earlier imports stay
    theirs.

    Suites of one name (reports concatenated, or in two files of an import: a Gradle task's and another's, two
    machines', a rerun's) are told apart first (``_repeated_suites``): only a later one that re-ran its namesakes'
    failures holds their reruns."""
    if any(map(_LATER_SUITE, cases)):
        cases = _repeated_suites(cases)
    suites: dict[str, set[str | None]] = {}
    for case in cases:
        suites.setdefault(case.external_id, set()).add(case.suite)
    shared = {ident for ident, names in suites.items() if len(names) > 1}
    if not shared:
        return cases
    return [replace(case, external_id=external_id(case.suite, case.external_id)) if case.external_id in shared
            else case for case in cases]


_LATER_SUITE = operator.attrgetter("suite_seq")  # 1 (false) for all but a repeated suite's tests


def _repeated_suites(cases: Sequence[CaseResult]) -> list[CaseResult]:
    """``cases`` with each test of a later ``<testsuite>`` of a name already seen in the report under that suite's
    own name ``<suite>#<k>`` (``k``: which suite of the name it is) — unless the suite is a rerun: every test of it
    that an earlier suite of its name reported had failed there (tools that rerun write only the failures again:
    cucumber's ``@rerun.txt``, ``pytest --lf``, their report added to the first). A rerun's tests stay in the suite
    of their failure (``last_reports`` counts the failure as a failed attempt). Any other later suite of the name
    holds other runs of its tests — a second Gradle task or Surefire execution, another machine or job whose report
    was concatenated — whose results are their own, neither merged as reruns nor replaced by the last one.
    (Surefire's and jest-junit's suites never hold reruns: ``CaseResult.once``.)"""
    groups: dict[tuple[str | None, int], list[int]] = {}
    for at, case in enumerate(cases):
        groups.setdefault((case.suite, case.suite_seq), []).append(at)
    out = list(cases)
    # Per (suite name, test id): the suite key it was last reported under, and its last status there.
    held: dict[tuple[str | None, str], tuple[str | None, str]] = {}
    for (name, seq), members in sorted(groups.items(), key=lambda item: item[0][1]):
        earlier = [held[name, ident] for ident in {cases[at].external_id for at in members} if (name, ident) in held]
        if seq > 1 and cases[members[0]].once:  # named apart whether it shares a test or not, as it always was
            rerun = False
        else:
            rerun = all(status in FAILING for _key, status in earlier)
        key = name if rerun else f"{name or ''}#{seq}"
        for at in members:
            case = cases[at]
            before = held.get((name, case.external_id)) if rerun else None
            own = before[0] if before is not None else key
            if own != case.suite:
                out[at] = replace(case, suite=own)
            held[name, case.external_id] = (own, case.status)
    return out


def _worse(before: CaseResult, case: CaseResult) -> CaseResult:
    """The one result of two tests a report (``distinct``) names alike: the worse outcome (the later at equal rank),
    with the failed attempts of both."""
    later = _RANK.get(case.status, _RANK["failed"]) >= _RANK.get(before.status, _RANK["failed"])
    kept, other = (case, before) if later else (before, case)
    return replace(kept, failed_attempts=kept.failed_attempts + other.failed_attempts, distinct=True)


def _with_teardown(call: CaseResult, teardown: CaseResult) -> CaseResult:
    """One attempt of a pytest test whose call failed and whose teardown then failed, which pytest writes as two
    ``<testcase>``: the worse outcome (the teardown's error), the call's failure message (why the test failed; the
    teardown's error comes after it), the durations of both, and no failed attempt more (it ran once)."""
    durations = [d for d in (call.duration, teardown.duration) if d is not None]
    return replace(call, status=worst((call.status, teardown.status)), message=call.message or teardown.message,
                   duration=sum(durations) if durations else None)


def report_error(path: str, line: int, message: str, column: int = 0) -> ParseError:
    """A malformed report: one line naming the file and line, and what to do."""
    return ParseError(path, line, column, message)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
