"""Stage 4, networks: the `Publisher` and `Ledger` protocols and one package per network (`x/`), each
publishing a checked thread exactly once and handing back a `PostedThread`."""
