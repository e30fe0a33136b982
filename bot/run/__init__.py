"""Driving the stages: the service the CLI and the review page call (post, poll, draft, approve, edit, reject), wiring
(settings → writer, image chain, publisher, store; `--dry-run` decided here), the pipeline for one entry, publishing
under a claim, the poller over every feed, the daemon, and review (`review/`)."""
