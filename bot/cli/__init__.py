"""The `bot` command: thin click commands over `run`, the terminal rendering, live progress, and `bot check`."""
