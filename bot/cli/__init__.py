"""The `bot` command: thin click commands over `run` (`run/service.py`), the terminal rendering, live progress, and `bot check`."""
