"""Full-text search over ADRs, contracts, features and scenarios (SQLite FTS5 / PostgreSQL tsvector)."""
