"""Contract re-export: `bot.tweet.weighted_length` (DESIGN.md) lives in `bot.tweets.length`."""

from bot.tweets.length import MAX_WEIGHT, is_valid, weighted_length

__all__ = ["MAX_WEIGHT", "is_valid", "weighted_length"]
