"""Replaying a repository's first-parent history into revisions (``tracertm.backfill``), see docs/architecture.md."""
