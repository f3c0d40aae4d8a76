"""Parse many files, in worker processes when there are enough of them to pay for the start-up."""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor

from tracertm.errors import ParseError
from tracertm.parsers import parse
from tracertm.parsers.records import FileKind, ParseResult, ParserOptions

Job = tuple[str, FileKind, bytes]
Outcome = ParseResult | ParseError
# Below this many files a process pool costs more than it saves.
PARALLEL_THRESHOLD = 200


def parse_one(path: str, kind: FileKind, data: bytes, options: ParserOptions) -> Outcome:
    """Parse one file; a parser bug becomes that file's error instead of aborting the whole sync."""
    try:
        return parse(kind, path, data, options)
    except ParseError as exc:
        return exc
    except RecursionError:
        return ParseError(path, 0, 0, "document is nested too deeply to parse")
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop a sync of thousands
        return ParseError(path, 0, 0, f"parser failed ({type(exc).__name__}: {exc}); please report this file")


def _parse_chunk(chunk: list[Job], options: ParserOptions) -> list[tuple[str, Outcome]]:
    return [(path, parse_one(path, kind, data, options)) for path, kind, data in chunk]


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def parse_files(jobs_in: Iterable[Job], options: ParserOptions, jobs: int = 1) -> dict[str, Outcome]:
    work = list(jobs_in)
    if jobs <= 1 or len(work) < PARALLEL_THRESHOLD:
        return dict(_parse_chunk(work, options))
    size = max(16, len(work) // (jobs * 4))
    chunks = [work[i : i + size] for i in range(0, len(work), size)]
    out: dict[str, Outcome] = {}
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for results in pool.map(_parse_chunk, chunks, [options] * len(chunks)):
            out.update(results)
    return out
