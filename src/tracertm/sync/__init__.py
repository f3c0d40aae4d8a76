"""The sync pipeline: scan → parse → plan → apply (see docs: architecture.md).

``tracertm.sync(...)`` (this package, called) is ``tracertm.sync.engine.sync(...)``.
"""

from tracertm._callable import make_callable

make_callable(__name__, "tracertm.sync.engine", "sync")
