"""What a run leaves on disk: `thread.json` (the contract's record of a thread) and `preview.html` (the
thread drawn as X shows it)."""
