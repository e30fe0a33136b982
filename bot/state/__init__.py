"""Stage 5, state: the store (SQLite or Postgres) of feeds, entries, claims, ledgers and model calls, its
numbered migrations, and the posting policy (retries, backoff, post budget windows)."""
