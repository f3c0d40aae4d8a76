"""The sync pipeline: scan → parse → plan → apply (see docs: architecture.md)."""
