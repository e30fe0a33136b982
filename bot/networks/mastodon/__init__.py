"""Mastodon: the post length rule (the instance's characters, URLs at a fixed count), the Mastodon.py client
(media with alt text, Idempotency-Key on every status) and the thread publisher."""
