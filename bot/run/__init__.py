"""Driving the stages: wiring (settings → writer, image chain, publisher, store; `--dry-run` decided here),
the pipeline for one entry, publishing under a claim, the poller over every feed, and the daemon."""
