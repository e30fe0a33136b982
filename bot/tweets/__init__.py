"""Stage 3, tweets: X's weighted length (twitter-text v3), hygiene (foreign links, handles, meta-text), and
shaping a Draft into checked `Tweet`s that each fit, with the link, numbering and UTM in place."""
