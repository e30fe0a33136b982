"""`python -m bot` is the same as the `bot` command."""

from .cli import main

main()
