"""Full-text search: one tokenizer of the project's own feeding both engines (SQLite FTS5 on
the embedded default, PostgreSQL on the team server), so both find the same hits."""
