"""preview.html: the thread drawn as a reader sees it on X, image embedded, in one self-contained file."""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping

from bot.core.records import PRIMARY, PostedThread, Thread

_LINKISH = re.compile(r"(https?://\S+|(?<![\w@#])(?:[\w-]+\.)+[a-z]{2,}(?:/\S*)?|(?<!\w)[@#]\w+)", re.IGNORECASE)

_CSS = """
*{box-sizing:border-box}body{margin:0;background:#f7f9f9;font:15px/20px -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,
"Noto Sans","Noto Sans CJK JP",Helvetica,Arial,sans-serif;color:#0f1419}
main{max-width:600px;margin:0 auto;background:#fff;border-left:1px solid #eff3f4;border-right:1px solid #eff3f4;min-height:100vh}
header{padding:12px 16px;border-bottom:1px solid #eff3f4}header h1{font-size:20px;line-height:24px;margin:0}
header p{margin:2px 0 0;color:#536471;font-size:13px}
article{display:flex;gap:12px;padding:12px 16px 0}.rail{display:flex;flex-direction:column;align-items:center;width:40px;flex:none}
.avatar{width:40px;height:40px;border-radius:50%;color:#fff;display:flex;align-items:center;justify-content:center;font-weight:700}
.line{flex:1;width:2px;background:#cfd9de;margin-top:4px}.body{flex:1;min-width:0;padding-bottom:12px}
.who{display:flex;gap:4px;white-space:nowrap;overflow:hidden}.name{font-weight:700}.muted{color:#536471}
.text{white-space:pre-wrap;overflow-wrap:anywhere;margin-top:2px}.text a{color:#1d9bf0;text-decoration:none}
figure{margin:12px 0 0;position:relative;border:1px solid #cfd9de;border-radius:16px;overflow:hidden;aspect-ratio:16/9}
figure img{width:100%;height:100%;object-fit:cover;display:block}
.alt{position:absolute;left:12px;bottom:12px;background:rgba(0,0,0,.77);color:#fff;font-size:13px;font-weight:700;padding:0 4px;border-radius:4px}
.meta{display:flex;gap:12px;margin-top:10px;color:#536471;font-size:13px}.ok{color:#00ba7c}.bad{color:#f4212e}
h2.network{font-size:17px;margin:0;padding:12px 16px;border-bottom:1px solid #eff3f4;background:#f7f9f9}
footer{padding:16px;color:#536471;font-size:13px;border-top:1px solid #eff3f4}
"""


def safe_href(url: str) -> str:
    """The URL when it is http(s), else "": a feed's `javascript:` or `data:` link never becomes a live link."""
    return url if re.match(r"\s*https?://", url, re.IGNORECASE) else ""


def _display_url(url: str) -> str:
    """X shows a link without its scheme, cut to about 23 characters with an ellipsis."""
    bare = re.sub(r"^https?://(www\.)?", "", url)
    return bare if len(bare) <= 26 else bare[:23] + "…"


def _linkify(text: str) -> str:
    out, last = [], 0
    for match in _LINKISH.finditer(text):
        out.append(html.escape(text[last : match.start()]))
        token = match.group(0)
        if token[0] in "@#":
            out.append(f'<a>{html.escape(token)}</a>')
        else:
            href = token if token.lower().startswith("http") else f"https://{token}"
            out.append(f'<a href="{html.escape(href)}" title="{html.escape(token)}">{html.escape(_display_url(token))}</a>')
        last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def _evidence(passages: tuple[str, ...]) -> str:
    """The article passages a post stands on (bot.tweets.grounding), escaped, under the post."""
    if not passages:
        return ""
    items = "".join(f"<li><q>{html.escape(p)}</q></li>" for p in passages)
    return f'<details class="evidence"><summary>stands on</summary><ul>{items}</ul></details>'


def _colour(name: str) -> str:
    hue = sum(ord(c) for c in name) * 37 % 360
    return f"hsl({hue} 55% 42%)"


def thread_items(thread: Thread, posted: PostedThread | None = None, image_src: str | None = None,
                 names: Mapping[str, str] | None = None) -> str:
    """The thread's posts drawn as X shows them (HTML, every text escaped); `image_src` links the image instead
    of embedding it (the review page serves it). `names`: each network's name as a person reads it, by id
    (networks.registry.display_names(); an id not there is shown as it is)."""
    entry = thread.article.entry
    name = entry.publication or entry.author or "Your account"
    initials = "".join(w[0] for w in name.split()[:2]).upper() or "?"
    ids = {(p.network, p.position): p.tweet_id for p in (posted.published if posted else ())}
    image_html = ""
    if thread.image.path and thread.image.path.is_file():
        if image_src is None:
            data = base64.b64encode(thread.image.path.read_bytes()).decode("ascii")
            image_src = f"data:{thread.image.mime or 'image/jpeg'};base64,{data}"
        image_html = (f'<figure><img src="{html.escape(image_src)}" '
                      f'alt="{html.escape(thread.image.alt_text)}"><span class="alt">ALT</span></figure>')
    threads = thread.networks or (thread.for_network(PRIMARY),)
    items = []
    for network in threads:  # each configured network's own thread, under its name when there is more than X
        if len(threads) > 1 or network.network != PRIMARY:
            label = (names or {}).get(network.network, network.network)
            items.append(f'<h2 class="network" id="{html.escape(network.network)}">{html.escape(label)}</h2>')
        total = len(network.tweets)
        for index, tweet in enumerate(network.tweets, start=1):
            state = "ok" if 0 < tweet.weighted_length <= network.limit else "bad"
            post_id = ids.get((network.network, index))
            place = f'<span class="muted">· {index}/{total}</span>' if total > 1 else ""  # one post: no "1/1"
            posted_note = f'<span>posted · id {html.escape(post_id)}</span>' if post_id else "<span>not posted</span>"
            items.append(
                f'<article data-network="{html.escape(network.network)}"><div class="rail"><div class="avatar" '
                f'style="background:{_colour(name)}">{html.escape(initials)}</div>'
                f'{"<div class=line></div>" if index < total else ""}</div><div class="body">'
                f'<div class="who"><span class="name">{html.escape(name)}</span>{place}</div>'
                f'<div class="text">{_linkify(tweet.text)}</div>{image_html if index == 1 else ""}'
                f'<div class="meta"><span class="{state}">{tweet.weighted_length}/{network.limit}</span>{posted_note}</div>'
                f'{_evidence(tweet.evidence)}</div></article>'
            )
    return "".join(items)


def preview_css() -> str:
    """The stylesheet of the drawn thread."""
    return _CSS


def render_preview(thread: Thread, posted: PostedThread | None = None, names: Mapping[str, str] | None = None,
                   accounts: Mapping[str, str] | None = None) -> str:
    """The whole page as a string; every piece of article or model text is escaped (`names`: see thread_items;
    `accounts`: the account each network's thread goes to, shown under the title)."""
    entry = thread.article.entry
    ids = [p.tweet_id for p in (posted.published if posted else ())]
    items = [thread_items(thread, posted, names=names)]
    subtitle = html.escape(f"{entry.title} · writer: {thread.writer.backend}{' ' + thread.writer.model if thread.writer.model else ''}"
                           f" · image: {thread.image.source}"
                           + "".join(f" · {(names or {}).get(n, n)} account: {a}" for n, a in (accounts or {}).items()))
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in thread.notes)
    return (
        "<!doctype html><html lang=\"" + html.escape(entry.language or "en") + "\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
        f"<title>Preview: {html.escape(entry.title)}</title><style>{_CSS}</style></head><body><main>"
        f"<header><h1>Thread preview</h1><p>{subtitle}</p></header>{''.join(items)}"
        f"<footer>{'Published.' if ids else 'Nothing has been published.'} Source: "
        f"<a href=\"{html.escape(safe_href(entry.link))}\">{html.escape(entry.link)}</a>"
        f"{'<ul>' + notes + '</ul>' if notes else ''}</footer></main></body></html>\n"
    )
