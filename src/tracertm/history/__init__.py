"""Replaying a repository's first-parent history into revisions (``tracertm.backfill``).

``backfill`` drives a run; ``tree`` follows the spec folders commit by commit, with the configuration of each
commit (``settings``); ``replay`` plans each commit against
``state`` (the in-memory view of the database); ``writer`` writes batches; ``checkpoint`` makes runs resumable;
``merge`` joins a history with a project synced before; ``at`` reads records as of a commit; ``results`` holds what
a run reports. The history itself comes from ``tracertm.git.history`` (only ``tracertm.git`` talks to git).
"""
