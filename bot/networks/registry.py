"""Every network the bot can publish to, listed once. Adding a network is adding its folder (which exports a
`NETWORK` descriptor, `network.py`) and one line here; nothing outside `networks/` names a network."""

from __future__ import annotations

from bot.core.errors import ConfigError
from bot.networks.bluesky.network import NETWORK as BLUESKY
from bot.networks.mastodon.network import NETWORK as MASTODON
from bot.networks.network import Network
from bot.networks.x.network import NETWORK as X

NETWORKS: tuple[Network, ...] = (X, BLUESKY, MASTODON)

# The contract's network: thread.json's top-level `tweets` is its thread, the post budget and the price
# (`x.posts_per_day`, `x.price_post`) are its, and a thread saved before networks existed was posted there.
PRIMARY: str = X.id

_BY_ID = {n.id: n for n in NETWORKS}


def names() -> tuple[str, ...]:
    """Every network's id, in the registry's order (the `networks` setting's and `--network`'s choices)."""
    return tuple(_BY_ID)


def get(network: str) -> Network:
    """The descriptor of `network`; ConfigError naming the known ones for any other word."""
    try:
        return _BY_ID[network]
    except KeyError:
        raise ConfigError(f"unknown network {network!r}", f"use one of: {', '.join(names())}") from None


def primary() -> Network:
    """The descriptor of the contract's network (X)."""
    return _BY_ID[PRIMARY]
