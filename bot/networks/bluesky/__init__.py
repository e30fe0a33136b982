"""Bluesky: the post length rule (graphemes and bytes), facets, the session (createSession, kept and refreshed),
the atproto client, and the thread publisher (reply refs, image and link card, record keys chosen by the bot)."""
