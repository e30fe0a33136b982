"""Grounded posts: what a sentence claims (claims.py), the passage of the article it stands on (passages.py), and
the one last gate every outgoing text passes (gate.py: hygiene, grounding, the network's counter)."""
