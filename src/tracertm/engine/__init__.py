"""The sync pipeline: scan → parse → plan → apply (see docs/architecture.md).

``sync.py`` runs the stages for one repository; ``tracertm.sync`` (the function) is ``tracertm.engine.sync.sync``.
"""
