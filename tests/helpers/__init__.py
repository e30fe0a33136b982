"""Scripts and small stand-ins the publishing tests run (the crash test starts publish_one.py as a child)."""
