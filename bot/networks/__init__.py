"""Stage 4, networks: the `Publisher` and `Ledger` protocols and one package per network (`x/`, `bluesky/`,
`mastodon/`), each publishing a checked thread exactly once and handing back a `PostedThread`, and each described
by one `Network` (its `network.py`), listed once in `registry.py`: the rest of the bot asks the registry."""
