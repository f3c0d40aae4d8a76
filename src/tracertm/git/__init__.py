"""The git adapter: the only package that talks to git. Import it as ``from tracertm import git``.

Hot paths (scan, ``check --staged`` in a hook) call the git command line directly: one short-lived process per
listing and one long-lived ``git cat-file --batch`` for blob reads. Importing GitPython alone costs more than
the whole ``check --staged`` budget of a pre-commit hook, so it is not used on these paths.

The modules, by what they own:

- ``process``: running git — the environment, pathspecs, ``run`` and the ``cat-file`` blob reader, and the
  ``Scope`` whose ``cancel()`` ends the git processes a thread started in it (each in a process group of its own);
- ``repo``: the repository itself — its top folder, commits and objects, its name;
- ``log``: history — the first-parent commit stream of a backfill, a commit's people and dates, merge authorship,
  which commits came after one (``placed``);
- ``tree``: trees, the index and the work tree — listings with blob ids (a conflicted index path: ``UNMERGED``),
  what a commit is about to change;
- ``partial``: partial clones — the objects a run needs and the clone lacks, fetched in one go.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from tracertm.git.process import (
    EXIT_TIMEOUT_S, MAX_PATHSPEC_BYTES, NO_SIGNATURES, BlobReader, Pending, Scope, call, git_env, pathspecs, run,
    start,
)
from tracertm.git.partial import fetch_missing, promisor_remotes
from tracertm.git.repo import (
    cut_short,
    existing_objects,
    find_root,
    has_commit,
    head_commit,
    is_shallow,
    iso_date,
    object_ids,
    object_type,
    origin_url,
    remote_name,
    resolve_commit,
    root_commit,
    root_unknown,
    shallow_boundary,
    written_parents,
)
from tracertm.git.tree import (
    UNMERGED,
    Entry,
    WorktreeIndex,
    blob_id,
    hash_paths,
    held_paths,
    holds_files,
    index_blobs,
    index_changes,
    index_entries,
    index_listing,
    may_have_attributes,
    object_format,
    parse_index_changes,
    start_index_changes,
    start_index_listing,
    store_failure,
    stored_blobs,
    transforming_paths,
    tree_entries,
    unmerged_paths,
    worktree_index,
    worktree_status,
)

if TYPE_CHECKING:
    from tracertm.git import log
    from tracertm.git.log import (
        Author,
        Change,
        CommitInfo,
        HistoryCommit,
        Placed,
        commit_dates,
        commit_info,
        first_parent_chain,
        history,
        merge_authors,
        placed,
    )

# ``log`` (history) is imported on first use: the hook paths (a no-op sync, check --staged) never walk history,
# and its import is a few milliseconds of a hook's budget.
_LOG_NAMES = frozenset({
    "Author", "Change", "CommitInfo", "HistoryCommit", "commit_dates", "commit_info", "first_parent_chain",
    "history", "merge_authors", "Placed", "placed",
})


def __getattr__(name: str) -> Any:
    if name == "log" or name in _LOG_NAMES:
        module = import_module("tracertm.git.log")
        return module if name == "log" else getattr(module, name)
    raise AttributeError(f"module 'tracertm.git' has no attribute {name!r}")


__all__ = [
    "EXIT_TIMEOUT_S",
    "MAX_PATHSPEC_BYTES",
    "NO_SIGNATURES",
    "Author",
    "BlobReader",
    "Change",
    "CommitInfo",
    "Entry",
    "WorktreeIndex",
    "HistoryCommit",
    "blob_id",
    "call",
    "commit_dates",
    "commit_info",
    "cut_short",
    "existing_objects",
    "fetch_missing",
    "find_root",
    "first_parent_chain",
    "git_env",
    "has_commit",
    "hash_paths",
    "held_paths",
    "holds_files",
    "head_commit",
    "history",
    "index_blobs",
    "index_changes",
    "index_entries",
    "index_listing",
    "may_have_attributes",
    "object_format",
    "object_type",
    "parse_index_changes",
    "Pending",
    "start",
    "start_index_changes",
    "start_index_listing",
    "is_shallow",
    "iso_date",
    "merge_authors",
    "object_ids",
    "origin_url",
    "pathspecs",
    "Placed",
    "placed",
    "promisor_remotes",
    "remote_name",
    "resolve_commit",
    "root_commit",
    "root_unknown",
    "run",
    "Scope",
    "shallow_boundary",
    "store_failure",
    "stored_blobs",
    "transforming_paths",
    "tree_entries",
    "UNMERGED",
    "unmerged_paths",
    "worktree_index",
    "worktree_status",
    "written_parents",
]
