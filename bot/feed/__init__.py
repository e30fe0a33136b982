"""Stage 1, the feed: fetch a feed (conditional GET, timeouts, size caps), parse it into `Entry` records,
and clean an entry's HTML into the `Article` the writers read (hidden and widget markup dropped)."""
