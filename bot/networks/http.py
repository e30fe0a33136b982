"""What the networks spoken to over plain `requests` (LinkedIn, Threads) share: a failed request turned into the
BotError that says whether anything can have reached the network.

The difference matters for exactly once: a request that never left (no connection, a malformed address) made
nothing, and is sent again safely (`NotSent`); one that left and got no answer (`NoAnswer`) may have made a post, which
is then looked for and never sent again unchecked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.errors import BotError, ConfigError, NoAnswer, PublishError

if TYPE_CHECKING:
    import requests


class NotSent(PublishError):
    """The request never reached the network (no connection could be made): nothing was made; retried later."""


def transport_error(exc: requests.RequestException, service: str, what: str, base_env: str,
                    timeout: float) -> BotError:
    """The BotError for a request that got no HTTP answer from `service`."""
    import requests  # loaded already: a request was made
    from urllib3.exceptions import NewConnectionError

    if isinstance(exc, (requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema,
                        requests.exceptions.InvalidURL)):
        return ConfigError(f"{base_env} is not a usable address ({exc})", f"set {base_env} to the API's https:// URL")
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if isinstance(exc, requests.exceptions.ConnectTimeout) or isinstance(reason, NewConnectionError):
        why = "timed out connecting" if isinstance(exc, requests.exceptions.ConnectTimeout) else "no connection"
        return NotSent(f"could not reach {service} while {what} ({why}): nothing was sent",
                       f"check {base_env} and the network; the entry is tried again later")
    if isinstance(exc, requests.Timeout):
        return NoAnswer(f"no answer from {service} while {what} (timed out after {timeout:.0f} s)",
                        "the bot looks for the post before it sends anything again")
    return NoAnswer(f"no answer from {service} while {what} ({type(exc).__name__})",
                    "the bot looks for the post before it sends anything again")
