"""X's post length: twitter-text v3's weighted length (`bot.tweets.length.weighted_length`, the contract's
`bot.tweet.weighted_length`) up to 280, every URL counted as 23."""

from __future__ import annotations

from bot.tweets.length import MAX_WEIGHT, URL_WEIGHT, Counter, weighted_length

COUNTER = Counter("x", MAX_WEIGHT, weighted_length, URL_WEIGHT, post="tweet")
