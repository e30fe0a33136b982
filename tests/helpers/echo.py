"""What an upstream that echoes the request puts in its error, and the test's own check that no piece of a secret
got through: the echo repeats the Authorization header (or a secret) densely, in one of the shapes a proxy may
re-encode it in, so a cut anywhere in the error lands inside a secret; `pieces` are what must never be seen."""

from __future__ import annotations

import base64
import html
import re
from urllib.parse import quote

FORMS = ("raw", "base64", "html", "percent-lower", "cut...")
PIECE = 6  # no run of this many characters of a secret, in any shape, may be written


def shaped(value: str, form: str) -> str:
    """`value` as a proxy may echo it: as is, base64, HTML-escaped, or percent-encoded with lower-case hex ("cut...":
    as is, see `echo`)."""
    if form == "base64":
        return base64.b64encode(value.encode()).decode()
    if form == "html":
        return html.escape(value)
    if form == "percent-lower":
        return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), quote(value, safe=""))
    return value


def echo(text: str, form: str, times: int = 12) -> str:
    """`text` (e.g. "Authorization: Bearer KEY", or a token) shaped and repeated, so a cut of the result falls in a secret.

    "cut...": the upstream shortens each repetition itself and marks the cut with "..." (Rails' truncate, Python's
    reprlib), leaving 4 to 15 characters of the secret that ends `text` before the dots."""
    if form == "cut...":
        last = re.sub(r"^[a-z_]+=", "", text.rsplit(" ", 1)[-1])  # the secret that ends the text ("token=" dropped)
        keep = len(text) - len(last)
        return "bad request (" + " ".join(f"{i}:{text[:keep + 4 + i]}..." for i in range(times)) + ")"
    return "bad request (" + " ".join(f"{i}:{shaped(text, form)}" for i in range(times)) + ")"


def pieces(secret: str, n: int = PIECE) -> set[str]:
    """Every run of n characters of the secret, as is and in every echoed form (base64 at each byte offset)."""
    found: set[str] = set()
    for form in FORMS:
        if form == "base64":
            for pad in ("", "a", "ab"):
                coded = base64.b64encode((pad + secret).encode()).decode()
                skip = -(-8 * len(pad) // 6)  # characters that carry the pad's bits
                coded = coded[skip:8 * (len(pad) + len(secret)) // 6]
                found |= {coded[i:i + n + 2] for i in range(len(coded) - n - 1)}
        else:
            value = shaped(secret, form)
            found |= {value[i:i + n] for i in range(len(value) - n + 1)}
    return found


def leaks(secret: str, *outputs: str) -> list[str]:
    """The pieces of `secret` found in the outputs (empty when none)."""
    text = "\n".join(outputs)
    return sorted(p for p in pieces(secret) if p in text)
