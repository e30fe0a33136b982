"""The contract module, kept by name: `bot.tweet.weighted_length(text) -> int` is promised to users and scripts
(a contract name in the design notes; docs/content.md, "Tweet length", documents it), so this file stays beside the
`bot/tweets/` package.
It only re-exports; X's counting itself lives in `bot.tweets.length`. Do not add code here."""

from bot.tweets.length import MAX_WEIGHT, is_valid, weighted_length

__all__ = ["MAX_WEIGHT", "is_valid", "weighted_length"]
