"""Deciding, deterministically, whether a submitted job fails.

Two ways, both documented in the README: a marker in the prompt (``[mock:fail]``), and admin
rules (``POST /_mock/failures``) that make the next N submissions of a provider fail,
optionally only when the prompt contains some text.
"""

from __future__ import annotations

from mockserver.core.store import Store

FAIL_MARKER = "[mock:fail]"

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS failure_rules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    provider TEXT NOT NULL,
    match TEXT NOT NULL,
    remaining INTEGER NOT NULL
);
"""


class FailureRules:
    """Admin rules and the prompt marker."""

    def __init__(self, store: Store) -> None:
        self.store = store
        store.migrate(SCHEMA_SQL)

    def add(self, provider: str, count: int = 1, match: str = "") -> int:
        """Make the next ``count`` submissions (whose text contains ``match``) fail."""
        return int(self.store.scalar(
            "INSERT INTO failure_rules (provider, match, remaining) VALUES (?, ?, ?) RETURNING id",
            (provider, match, count)))

    def list(self) -> list[dict[str, object]]:
        """Rules that still have submissions to fail."""
        rows = self.store.all("SELECT * FROM failure_rules WHERE remaining > 0 ORDER BY id")
        return [dict(r) for r in rows]

    def should_fail(self, provider: str, text: str) -> bool:
        """Whether this submission fails; consumes one use of the first matching rule."""
        if FAIL_MARKER in text:
            return True
        with self.store.transaction() as conn:
            row = conn.execute(
                "SELECT id, match FROM failure_rules WHERE provider = ? AND remaining > 0"
                " ORDER BY id", (provider,)).fetchall()
            for rule in row:
                if rule["match"] in text:
                    conn.execute("UPDATE failure_rules SET remaining = remaining - 1"
                                 " WHERE id = ?", (rule["id"],))
                    return True
        return False
