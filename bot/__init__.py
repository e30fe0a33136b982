"""substack-thread-bot: turns each new Substack post into an X thread with an image, exactly once."""

__version__ = "0.1.0"
