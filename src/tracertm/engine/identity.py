"""Project identity: which repository a project's records come from.

A project remembers the root commit of its repository's first-parent history (``projects.root_commit``): two
unrelated repositories that happen to get the same project name (same folder name, no remote) are told apart, and
the second is refused instead of overwriting the first one's records. The remote URL is informational: a
repository whose ``origin`` moves keeps its project (renamed after the new remote when its name came from the old
one) instead of starting a second one. A name a project had before such a rename is remembered
(``project_metadata["former_names"]``): a clone that still has the old URL syncs into the renamed project without
renaming it back, so two clones of one repository under its old and new URL do not make its name flip on every
sync. Adding a remote is such a move too: the repository's project named after its folder, without a URL, is renamed
after the new remote, and a clone without a remote whose folder gives that former name still syncs into it.

A shallow clone (``git clone --depth N``, CI's default checkout) cannot know its root: its history ends at a
boundary that differs from clone to clone. Such a boundary is never stored as the root, and a shallow clone that
lacks the stored root is accepted under its name (it cannot disprove the identity) rather than refused; a later
sync from a full clone stores the root when none is. A shallow clone that holds the stored root matches as before.

A project also remembers the folder it was synced from (``project_metadata["spec_root"]``: its spec root's path from
the top of the work tree, ``.`` for the top): the folders of one repository share its root commit, so two sub-folder
projects that get the same name (``services/api`` and ``clients/api``) would otherwise write each other's records.
A sync of that name from another folder is refused while the recorded folder still holds a file in what is being
synced (the commit, the index, or the work tree: a file git tracks or would track); once it holds none, the project
has moved (``git mv svc/a svc/alpha``, the name kept with ``--project`` or ``project =``) and follows its folder.
The read verbs answer a folder with the project that records it first (``read_project``), then as a sync of it
would write. The work tree synced is recorded too (``project_metadata["work_tree"]``): two clones of one repository
synced as two projects (``sync --project a`` in one, ``--project b`` in the other) record the same folder, and each
clone is answered with its own project while the other clone is still there, and a clone (or ``git worktree``) never
synced with none: a sync there makes a project of its own rather than following the other clone's.

Checking costs one object lookup (``git cat-file -e ROOT``); the history is walked only when a project is created
or adopts an identity, or when a clone lacks the stored root and is shallow. The folder costs nothing while it is
the recorded one, one git process when it is not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracertm import git
from tracertm.errors import UsageError
from tracertm.models import Project
from tracertm.text import name_form

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

name_from_remote = git.remote_name

SPEC_ROOT_KEY = "spec_root"  # in ``projects.project_metadata``: the folder the project was last synced from
TOP = "."  # (``SPEC_ROOT_KEY``'s value for the top of the work tree)
# Also in ``projects.project_metadata``: the work tree (its top, an absolute path) the project was last synced from.
# Two clones of one repository synced as two projects record the same ``spec_root``; this tells them apart.
WORK_TREE_KEY = "work_tree"


# How to give a repository a project of its own, by what the verb takes: ``sync`` and ``backfill`` have
# ``--project``; ``watch`` and ``hook sync`` have no such option and read the name from the configuration only.
OPTION_HINT = 'pass --project NAME (or set project = "NAME" in .tracertm.toml or [tool.tracertm])'
CONFIG_HINT = 'set project = "NAME" in .tracertm.toml (or in [tool.tracertm] of pyproject.toml)'


class ProjectMismatchError(UsageError):
    """The project of that name belongs to another repository (exit 2). The message ends in ``hint``, what to do;
    a verb without ``--project`` says its own (``hinted``)."""

    def __init__(self, fact: str, hint: str = OPTION_HINT, own: str = "this repository") -> None:
        super().__init__(f"{fact}; {hint} to sync {own} as a project of its own")
        self.fact, self.hint, self.own = fact, hint, own

    def __reduce__(self) -> tuple[type[ProjectMismatchError], tuple[str, str, str]]:
        return ProjectMismatchError, (self.fact, self.hint, self.own)  # (``args`` holds the whole message)

    def hinted(self, hint: str) -> ProjectMismatchError:
        """The same error ending in ``hint`` instead."""
        return ProjectMismatchError(self.fact, hint, self.own)


@dataclass
class RepoIdentity:
    """The repository being synced: its work tree (None for a plain folder), ``origin`` URL, whether the
    project name was derived from that URL (rather than given or configured), and ``folder``: the name the work
    tree gets when it has no remote (its folder name), set when the name is derived rather than given or
    configured (None otherwise). ``spec_root``: the folder synced, as a path from the top of the work tree
    (``spec_root_of``; None: not known, nothing to compare), and what is read of it: commit ``ref``, the index
    (``staged``), else the work tree."""

    top: Path | None
    url: str | None
    named_from_remote: bool = False
    folder: str | None = None
    spec_root: str | None = None
    ref: str | None = None
    staged: bool = False
    _root: str | None = field(default=None, init=False, repr=False)
    _root_known: bool = field(default=False, init=False, repr=False)
    _present: dict[str, bool] = field(default_factory=dict, init=False, repr=False)
    _held: dict[str, bool] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        # The folder name is compared with project names, which are NFC (``engine.naming``); a macOS folder is not.
        if self.folder is not None:
            self.folder = name_form(self.folder)

    @property
    def root(self) -> str | None:
        """The root commit (computed once, on demand)."""
        if not self._root_known and self.top is not None:
            self._root = git.root_commit(self.top)
            self._root_known = True
        return self._root

    def matches(self, project: Project) -> bool:
        """Whether ``project`` may hold this repository's records: it has no identity yet, or its root commit is a
        commit of this repository, or this is a shallow clone that cannot know its root (a CI checkout lacks the
        root of its own repository: its absence disproves nothing). A plain folder has no identity to compare and
        matches."""
        if project.root_commit is None or self.top is None:
            return True
        root = project.root_commit
        if root not in self._present:  # one lookup per run, whichever phase asks
            self._present[root] = git.has_commit(self.top, root) or git.root_unknown(self.top)
        return self._present[root]

    def holds_files(self, folder: str) -> bool:
        """Whether ``folder`` (a path from the top of the work tree) holds a file in what this sync reads (asked
        once per run)."""
        if self.top is None:
            return False
        if folder == TOP:
            return True
        if folder not in self._held:
            self._held[folder] = git.holds_files(self.top, folder, self.ref, staged=self.staged)
        return self._held[folder]


def spec_root_of(root: Path, top: Path | None) -> str | None:
    """The spec root ``root``'s path from the top ``top`` of its work tree (``TOP`` for the top itself); None
    outside git, or for a root that is not below ``top``."""
    if top is None:
        return None
    try:
        rel = root.relative_to(top).as_posix()
    except ValueError:
        return None
    return rel if rel and rel != "." else TOP


def mismatch(name: str, project: Project, identity: RepoIdentity) -> ProjectMismatchError:
    where = f", {project.repo_url}" if project.repo_url else ""
    assert project.root_commit is not None
    return ProjectMismatchError(
        f"project {name!r} in this database belongs to another repository (root commit {project.root_commit[:12]}"
        f"{where}), not to {identity.top}"
    )


FORMER_NAMES_KEY = "former_names"  # in ``projects.project_metadata``: the names a rename left behind


def former_names(project: Project) -> list[str]:
    """The names ``project`` had before it was renamed after a new remote, oldest first."""
    names = (project.metadata_ or {}).get(FORMER_NAMES_KEY)
    return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []


def resolve(session: Session, name: str, identity: RepoIdentity, *, write: bool) -> Project | None:
    """The project named ``name`` for ``identity`` (checked), or the same repository's project under its old
    remote name; with ``write`` it is created, or adopts this identity and URL, as needed (callers hold the
    project's write lock). Without ``write`` nothing changes and None means "no project yet".

    The project of a repository whose remote changed is renamed after the new remote once: a clone whose remote
    still gives one of the project's former names (a runner with the old URL) writes to the renamed project and
    changes neither its name nor its URL. A remote added to a repository synced without one counts as a change:
    its project named after the folder (no URL) is renamed after the remote; a clone without a remote whose folder
    gives one of the project's former names writes to it, renaming nothing."""
    project = session.execute(select(Project).where(Project.name == name)).scalar_one_or_none()
    derived = identity.named_from_remote or (identity.folder is not None and name == identity.folder)
    # ``matches`` first: one object lookup, where ``root`` walks the history (needed only when it does not match).
    if project is not None and derived and not identity.matches(project) and identity.root is not None:
        # The name is another repository's now: one that took the name this repository's project had before its
        # rename (a repository in a folder of that name, or the old remote name reused). A clone that still derives
        # the old name (the old URL, or no remote) writes to its own project, renamed from it, as the read verbs
        # find it (``read_project``), instead of being refused as another repository. A name given (--project,
        # ``project =``) is that project's, refused as before.
        project = formerly_named(session, identity.root, name) or project
    if project is None and identity.named_from_remote and identity.root is not None:
        project = _renamed_remote(session, identity.root) or _folder_named(session, identity.root, identity.folder)
        if project is not None and write and name_after_sync(project, name, identity) != project.name:
            _rename(project, name)
    elif project is None and identity.folder is not None and name == identity.folder and identity.root is not None:
        project = formerly_named(session, identity.root, name)
    if project is None:
        if not write:
            return None
        project = Project(name=name, repo_url=identity.url, root_commit=identity.root)
        session.add(project)
        session.flush()
        return project
    if not identity.matches(project):
        raise mismatch(name, project, identity)
    _check_spec_root(name, project, identity)
    if write:
        if project.root_commit is None and identity.root is not None:
            project.root_commit = identity.root
        if identity.spec_root is not None and recorded_spec_root(project) != identity.spec_root:
            project.metadata_ = {**(project.metadata_ or {}), SPEC_ROOT_KEY: identity.spec_root}
        if identity.top is not None and recorded_work_tree(project) != str(identity.top):
            project.metadata_ = {**(project.metadata_ or {}), WORK_TREE_KEY: str(identity.top)}
        if identity.url and project.repo_url != identity.url and not stale_remote(project, identity):
            project.repo_url = identity.url
        session.flush()
    return project


def name_after_sync(project: Project, name: str, identity: RepoIdentity) -> str:
    """The name ``project`` has once a sync of ``name`` for ``identity`` has written to it, ``project`` being what
    ``resolve`` finds without ``write``: ``name`` when the write renames it after a new remote, its own name when it
    was found under a name it had before such a rename (a clone with the old URL, or without a remote), which the
    write keeps. What a dry run reports, as the sync it stands for does."""
    if project.name != name and identity.named_from_remote and name not in former_names(project):
        return name
    return project.name


def recorded_spec_root(project: Project) -> str | None:
    """The folder ``project`` was last synced from (a path from the top of its work tree), None when not known (a
    plain folder, or a project last synced by a tracertm that did not record it)."""
    folder = (project.metadata_ or {}).get(SPEC_ROOT_KEY)
    return folder if isinstance(folder, str) else None


def recorded_work_tree(project: Project) -> str | None:
    """The work tree ``project`` was last synced from (the absolute path of its top), None when not known (a plain
    folder, or a project last synced by a tracertm that did not record it)."""
    tree = (project.metadata_ or {}).get(WORK_TREE_KEY)
    return tree if isinstance(tree, str) else None


def _check_spec_root(name: str, project: Project, identity: RepoIdentity) -> None:
    """Refuse to sync ``project`` from another folder of its repository while the folder it was synced from still
    holds a file: both folders got the same name (``services/api``, ``clients/api``), and each sync would move the
    other's records into its own files. A recorded folder that holds no file any more was moved or deleted: the
    project follows the folder synced now."""
    recorded = recorded_spec_root(project)
    if recorded is None or identity.spec_root is None or recorded == identity.spec_root:
        return
    if identity.holds_files(recorded):
        raise ProjectMismatchError(
            f"project {name!r} in this database holds the specs of {shown_folder(recorded)}, another folder of this "
            f"repository, not of {shown_folder(identity.spec_root)}", own="this folder",
        )


def shown_folder(folder: str) -> str:
    """A recorded folder as messages name it (``services/api/``, or the top of the repository)."""
    return "the top of the repository" if folder == TOP else f"{folder}/"


def stale_remote(project: Project, identity: RepoIdentity) -> bool:
    """Whether ``identity``'s remote names ``project`` as it was called before a rename (a clone with the old URL):
    such a clone changes neither the project's name nor its URL."""
    old = name_from_remote(identity.url) if identity.url else None
    return old is not None and old != project.name and old in former_names(project)


def _rename(project: Project, name: str) -> None:
    """Rename ``project`` after its new remote, remembering the name it had."""
    kept = [n for n in former_names(project) if n not in (name, project.name)]
    project.metadata_ = {**(project.metadata_ or {}), FORMER_NAMES_KEY: [*kept, project.name]}
    project.name = name


def find(session: Session, name: str, identity: RepoIdentity | None) -> Project | None:
    """The project a write of ``name`` (for ``identity``, when known) would write to, as ``resolve`` finds it;
    None when it would create one. Changes nothing (``db.write_session`` asks before taking the write lock)."""
    if identity is None:
        return session.execute(select(Project).where(Project.name == name)).scalar_one_or_none()
    return resolve(session, name, identity, write=False)


def read_project(session: Session, name: str, identity: RepoIdentity) -> tuple[Project | None, Project | None]:
    """The project a read verb answers for the folder ``identity.spec_root`` (the repository's top, or ``--path``),
    whose sync would name it ``name``; with the project of that name passed over (another repository's, or
    another folder's while that folder still holds a file: what ``resolve`` refuses a sync of), for the error.
    The folder recorded decides first: ``services/api`` synced as ``api`` and ``clients/api`` as ``client-api``
    share the name ``api`` and a root commit, and ``clients/api`` is ``client-api``'s. Then the project of the name
    when a sync writes to it (its folder is this one, was never recorded, or was moved away), then the one project
    of the repository's history, or the one renamed from ``name`` (``formerly_named``), when it may be this
    folder's. A project found by its folder or its history is answered only when a sync here writes to it
    (``_synced_from_here``: not another clone's that is still there). Nothing is written; the common case (the
    project of the name, recorded here) costs one query and one object lookup, any other the walk to the root
    commit too."""
    named = session.execute(select(Project).where(Project.name == name)).scalar_one_or_none()
    passed = named if named is not None and not identity.matches(named) else None
    if passed is None and named is not None and recorded_spec_root(named) == identity.spec_root:
        return named, None
    here = _recorded_here(session, identity)
    if here is not None and _synced_from_here(session, name, here, identity):
        return here, None
    if passed is None and named is not None:
        if _may_be_here(named, identity):
            return named, None
        passed = named
    root = identity.root
    if root is None:
        return None, passed
    ours = session.execute(select(Project).where(Project.root_commit == root).limit(2)).scalars().all()
    # Several projects of this history (one synced with --project): the one renamed from the name this clone
    # still derives (its old remote URL), which is where its syncs write.
    found = ours[0] if len(ours) == 1 else formerly_named(session, root, name) if ours else None
    if found is not None and _may_be_here(found, identity) and _synced_from_here(session, name, found, identity):
        return found, None
    return None, passed


def moved_here(session: Session, name: str, identity: RepoIdentity) -> tuple[Project, str | None] | None:
    """The project a sync of ``identity``'s folder follows when the name ``name`` it derived from the folder (no
    ``--project``, configuration or remote) is no project's: the one the read verbs answer for this folder
    (``read_project``), when the folder it was last synced from is this one, or holds no file any more (the
    repository or the folder was moved or renamed since); with the one-line note to print then. None: a new
    project, as before (no such project, or its folder is another that is still there: another clone)."""
    if identity.top is None or identity.spec_root is None or session.execute(
            select(Project.id).where(Project.name == name)).first() is not None:
        return None
    found, _passed = read_project(session, name, identity)
    tree, folder = (recorded_work_tree(found), recorded_spec_root(found)) if found is not None else (None, None)
    if found is None or tree is None or folder is None:
        return None  # (a project an earlier tracertm synced records no folder to tell a move from another clone)
    if Path(tree) == identity.top:
        if folder == identity.spec_root:
            return found, None  # followed here before: it records this folder now
        gone = not identity.holds_files(folder)
    else:
        gone = not _in_another_clone(found, identity)
    if not gone:
        return None
    where = Path(tree) if folder == TOP else Path(tree) / folder
    return found, (f"project {found.name!r} was synced from {where}, which holds no file any more: following it "
                   f"here; pass --project NAME to sync this folder as a new project")


def followed(database: Engine, name: str, identity: RepoIdentity) -> tuple[str, str | None]:
    """The project a sync of a folder whose name ``name`` it derived is no project's writes to: the one moved here
    (``moved_here``: the project the read verbs answer for this folder, whose own folder holds no file any more, or
    which records this folder since it was followed here), with the note that says so, else ``name`` (a new
    project). One read session of ``database`` (``fastpath`` finds the followed-here-before case without it)."""
    from tracertm import db

    with db.session(database) as session:
        found = moved_here(session, name, identity)
    return (name, None) if found is None else (found[0].name, found[1])


def synced_here(session: Session, identity: RepoIdentity) -> list[Project]:
    """The projects of the repository's history a sync of ``identity``'s folder may write to (``_may_be_here``), by
    name: when ``read_project`` finds none of several (the repository synced with ``--project alpha``, then
    ``beta``), the error names them to pick from, rather than suggesting a sync that would make a third (of this
    clone's, when another clone still there was synced as a project of its own: ``_this_clones``)."""
    if identity.root is None:
        return []
    found = session.execute(select(Project).where(Project.root_commit == identity.root)).scalars()
    return sorted(_this_clones([p for p in found if _may_be_here(p, identity)], identity), key=lambda p: p.name)


def _recorded_here(session: Session, identity: RepoIdentity) -> Project | None:
    """The one project of the repository's history that records ``identity``'s folder as its own (None: none, or
    several, synced from it under different names; a history whose root is unknown is not looked at). Of two clones
    synced as two projects, both recording the top, the one this clone's sync recorded (``_this_clones``)."""
    if identity.spec_root is None or identity.root is None:
        return None
    found = _this_clones([p for p in session.execute(select(Project).where(Project.root_commit == identity.root))
                          .scalars() if recorded_spec_root(p) == identity.spec_root], identity)
    return found[0] if len(found) == 1 else None


def _synced_from_here(session: Session, name: str, project: Project, identity: RepoIdentity) -> bool:
    """Whether a sync of ``identity``'s folder, naming it ``name``, writes to ``project``, which the read verbs
    found by its folder or its history rather than by that name: not when it was last synced from another clone
    that is still there (``moved_here`` does not follow it: the sync makes a project of its own, and the read verbs
    answer a never-synced clone with an error, never with the other clone's records), unless the sync finds it
    under a name it had (``resolve``: a clone with the old remote URL, or without a remote, or with a new remote
    that renames it). A project that records no work tree is answered as before (nothing tells it is another's)."""
    if not _in_another_clone(project, identity):
        return True
    try:
        return resolve(session, name, identity, write=False) is project
    except ProjectMismatchError:  # (a project of that name that is not this folder's: not ``project`` either)
        return False


def _may_be_here(project: Project, identity: RepoIdentity) -> bool:
    """Whether a sync of ``identity``'s folder may write to ``project`` (``_check_spec_root`` would not refuse it):
    its folder is this one or not known, or holds no file any more (the project moved here)."""
    recorded = recorded_spec_root(project)
    if recorded is None or identity.spec_root is None or recorded == identity.spec_root:
        return True
    return not identity.holds_files(recorded)


def _this_clones(projects: list[Project], identity: RepoIdentity) -> list[Project]:
    """Of several ``projects`` (of one repository), the ones last synced from this work tree, when any; else those
    not synced from another clone that is still there (``_in_another_clone``: a clone moved since and synced there
    as a no-op, which records nothing, still records where it was), when that leaves any; else all. A tie-break
    only: one project alone is a clone's too (a clone of a synced repository reads its project)."""
    if len(projects) < 2 or identity.top is None:
        return projects
    here = [p for p in projects if (tree := recorded_work_tree(p)) is not None and Path(tree) == identity.top]
    return here or [p for p in projects if not _in_another_clone(p, identity)] or projects


def _in_another_clone(project: Project, identity: RepoIdentity) -> bool:
    """Whether ``project`` was last synced from another work tree than ``identity``'s that still holds its folder:
    a clone of the same repository synced as a project of its own (``sync --project b`` in a second clone), whose
    folder is the same path from the top. One that is gone (moved, deleted) is not (the project may have moved
    here); a project that records no work tree is not either."""
    tree = recorded_work_tree(project)
    if tree is None or identity.top is None or Path(tree) == identity.top:
        return False
    folder = Path(tree) / (recorded_spec_root(project) or TOP)
    return folder.is_dir() and (Path(tree) / ".git").exists()


def _renamed_remote(session: Session, root: str) -> Project | None:
    """A project of the same repository that was named after its remote, whose remote has since changed."""
    for candidate in session.execute(select(Project).where(Project.root_commit == root)).scalars():
        if name_from_remote(candidate.repo_url) == candidate.name:
            return candidate
    return None


def _folder_named(session: Session, root: str, folder: str | None) -> Project | None:
    """The same repository's project synced before it had a remote: named after the folder, without a URL."""
    if folder is None:
        return None
    return session.execute(
        select(Project).where(Project.root_commit == root, Project.name == folder, Project.repo_url.is_(None))
    ).scalar_one_or_none()


def formerly_named(session: Session, root: str, name: str) -> Project | None:
    """The same repository's project that was called ``name`` before a rename (a clone without the remote)."""
    for candidate in session.execute(select(Project).where(Project.root_commit == root)).scalars():
        if name in former_names(candidate):
            return candidate
    return None


__all__ = [
    "FORMER_NAMES_KEY", "SPEC_ROOT_KEY", "WORK_TREE_KEY", "ProjectMismatchError", "RepoIdentity", "find",
    "followed", "former_names", "formerly_named", "moved_here", "name_after_sync", "name_from_remote", "read_project",
    "recorded_spec_root", "recorded_work_tree", "resolve", "shown_folder", "spec_root_of", "stale_remote",
    "synced_here",
]
