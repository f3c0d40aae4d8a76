"""ORM sessions whose queries hide soft-deleted rows (``session``); the session class and its event listeners are
made once, on first use (importing the ORM and the models is the fast path's to avoid)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine
    from sqlalchemy.orm import Session


def _session_class() -> type[Session]:
    global _SESSION_CLASS
    if _SESSION_CLASS is None:
        from sqlalchemy import event, inspect
        from sqlalchemy.orm import ORMExecuteState, QueryContext, Session, with_loader_criteria

        from tracertm.models.base import SoftDeleteMixin

        class TracertmSession(Session):
            """A session whose ORM queries hide soft-deleted rows unless ``include_deleted=True`` is passed as an
            execution option (``select(ADR).execution_options(include_deleted=True)``).

            Objects loaded with ``include_deleted`` see their relationships unfiltered too: a scenario found that way
            still has its feature when the feature file was deleted (the feature is soft-deleted as well)."""

        @event.listens_for(SoftDeleteMixin, "load", propagate=True)
        def _remember_include_deleted(target: Any, context: QueryContext) -> None:
            if context.execution_options.get("include_deleted", False):
                inspect(target).info["include_deleted"] = True

        @event.listens_for(TracertmSession, "do_orm_execute")
        def _hide_deleted(state: ORMExecuteState) -> None:
            parent = state.lazy_loaded_from if state.is_relationship_load else None
            if parent is not None and parent.info.get("include_deleted", False):
                return
            if state.is_select and state.execution_options.get("include_deleted", False):
                # Statement options do not reach the "load" event; execution options do.
                state.update_execution_options(include_deleted=True)
            if (
                state.is_select
                and not state.is_column_load
                and not state.execution_options.get("include_deleted", False)
            ):
                state.statement = state.statement.options(
                    with_loader_criteria(
                        SoftDeleteMixin,
                        lambda cls: cls.deleted_at.is_(None),
                        include_aliases=True,
                    )
                )

        _SESSION_CLASS = TracertmSession
    return _SESSION_CLASS


_SESSION_CLASS: type[Session] | None = None


def session(engine: Engine | Connection, **kwargs: Any) -> Session:
    """A new ORM session whose default queries exclude soft-deleted rows (bound to ``engine``, or to one connection
    across its transactions)."""
    return _session_class()(bind=engine, **kwargs)
