"""Dates as ADR authors write them: ISO ``2018-04-09``, ``2018/04/09``, numeric ``09/04/2018`` / ``09.04.2018``,
and written months (``9 April 2018``, ``April 9, 2018``).

A numeric day/month date is read only when it cannot mean anything else (``13/04/2018`` is 13 April, ``04/13/2018``
is 13 April) or when the repository says which order it writes (``date_format`` in ``[tool.tracertm]``). Otherwise
``read_date`` says *ambiguous* and the caller warns naming the line: a date is never guessed, never silently lost.

An ISO date may carry a time (``2018-04-09 10:30:00``, ``2018-04-09T10:30Z``, as YAML timestamps do); only the
date is kept, but a time no clock shows (``25:00``, ``10:61``, an offset of ``+25:00``) makes the reading
*impossible-time*, which the caller reports as an error of the file rather than keep a date from a broken stamp.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal, NamedTuple

# Values of ParserOptions.date_format (and of ``date_format`` in the configuration), case-insensitive.
DAY_FIRST = "DD/MM/YYYY"
MONTH_FIRST = "MM/DD/YYYY"
DATE_FORMATS = (DAY_FIRST, MONTH_FIRST)

_ISO_RE = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
# A time right after an ISO date: ``T`` or blanks, hh:mm[:ss[.fraction]], then an optional zone (Z, ±hh[:mm]).
_TIME_RE = re.compile(
    r"(?:[Tt]|[ \t]+)((\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d*)?)?(?:[ \t]*(?:Z|[-+](\d{1,2})(?::?(\d{2}))?))?)(?![\d:])"
)
_NUMERIC_RE = re.compile(r"(?<!\d)(\d{1,2})([-/.])(\d{1,2})\2(\d{4})(?!\d)")
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = r"([A-Za-z]{3,9})\.?"
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_DAY_MONTH_RE = re.compile(rf"(?<![\w]){_DAY}[ \t]+{_MONTH},?[ \t]+(\d{{4}})(?!\d)", re.IGNORECASE)
_MONTH_DAY_RE = re.compile(rf"(?<![\w]){_MONTH}[ \t]+{_DAY},?[ \t]+(\d{{4}})(?!\d)", re.IGNORECASE)


class DateReading(NamedTuple):
    """What a written date means: ``date`` when it is readable, else why not (``problem``)."""

    date: dt.date | None
    problem: Literal["ambiguous", "invalid", "missing", "impossible-time"] | None = None
    time: str | None = None  # the time as written, when it is impossible


def _impossible_time(text: str, end: int) -> str | None:
    """The time written right after an ISO date ending at ``end``, when no clock shows it; else None. ISO 8601's
    ``24:00:00`` (the end of the day) and a leap second ``23:59:60`` are possible."""
    match = _TIME_RE.match(text, end)
    if match is None:
        return None
    hour, minute, second = int(match.group(2)), int(match.group(3)), int(match.group(4) or 0)
    zone_hour, zone_minute = int(match.group(5) or 0), int(match.group(6) or 0)
    clock = (hour < 24 and minute < 60 and (second < 60 or (hour, minute, second) == (23, 59, 60))) or (
        (hour, minute, second) == (24, 0, 0)
    )
    if clock and zone_hour < 24 and zone_minute < 60:
        return None
    return match.group(1)


def _make(year: int, month: int, day: int) -> DateReading:
    try:
        return DateReading(dt.date(year, month, day))
    except ValueError:
        return DateReading(None, "invalid")


def read_date(value: Any, date_format: str | None = None) -> DateReading:
    """The date in a YAML value or a text. ``date_format`` (``DD/MM/YYYY`` or ``MM/DD/YYYY``) settles the order
    of numeric day/month dates; without it only unambiguous ones are read."""
    if isinstance(value, dt.datetime):
        return DateReading(value.date())
    if isinstance(value, dt.date):
        return DateReading(value)
    if not isinstance(value, str):
        return DateReading(None, "missing")
    match = _ISO_RE.search(value)
    if match:
        time = _impossible_time(value, match.end())
        if time is not None:
            return DateReading(None, "impossible-time", time)
        return _make(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    match = _NUMERIC_RE.search(value)
    if match:
        first, second, year = int(match.group(1)), int(match.group(3)), int(match.group(4))
        order = (date_format or "").upper()
        if order == DAY_FIRST:
            return _make(year, second, first)
        if order == MONTH_FIRST:
            return _make(year, first, second)
        if first > 12 >= second:
            return _make(year, second, first)
        if second > 12 >= first:
            return _make(year, first, second)
        if first == second and first <= 12:
            return _make(year, first, first)  # 04/04/2018 reads the same both ways
        return DateReading(None, "ambiguous" if first <= 12 and second <= 12 else "invalid")
    for pattern, day_group, month_group in ((_DAY_MONTH_RE, 1, 2), (_MONTH_DAY_RE, 2, 1)):
        match = pattern.search(value)
        if match:
            month = _MONTHS.get(match.group(month_group).casefold())
            if month is not None:
                return _make(int(match.group(3)), month, int(match.group(day_group)))
    return DateReading(None, "missing")
