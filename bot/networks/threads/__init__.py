"""Threads (Meta): the 500-character count (length.py), the Graph API client with containers, the publishing quota
and token refresh (client.py), and the exactly-once reply-chain publisher (thread.py)."""
