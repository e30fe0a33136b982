"""Feed ingestion: fetch a feed (URL or file) with limits, parse it into typed entries, pick one entry."""

from __future__ import annotations

import html
import importlib
import io
import os
import re
import stat
import sys
import types
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from bot import __version__
from bot.core import download
from bot.core.errors import EntryNotFound, FeedError, clip
from bot.core.records import Entry, FeedResult

SAMPLE_FEED = Path(__file__).resolve().parent.parent / "data" / "sample_feed.xml"
DEFAULT_USER_AGENT = f"substack-thread-bot/{__version__} (+https://github.com/substack-thread-bot)"
FEED_HINT = "a Substack feed lives at https://NAME.substack.com/feed or at <custom domain>/feed"
_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
_SLUG = re.compile(r"/p/([^/?#\s]+)")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
# Substack truncates a paywalled post in its feed and ends it with a link to the post, "Read more".
_READ_MORE_TAIL = re.compile(
    r"<a\b[^>]*>\s*(?:<[^>]+>\s*)*read\s+more\s*(?:&#8230;|&hellip;|…|\.\.\.)?\s*(?:</[^>]+>\s*)*$",
    re.IGNORECASE)
# Some truncated posts carry Substack's paywall box instead ("This post is for paid subscribers"),
# seen in FreshRSS/FreshRSS#6665.
_SUBTITLE_CHARS = 5000
_PAYWALL_BOX = re.compile(r"""class=["'][^"']*\bpaywall(?:-title|-jump)?\b""", re.IGNORECASE)


def fetch(source: str | os.PathLike[str], *, timeout: float, user_agent: str, max_bytes: int,
          etag: str = "", last_modified: str = "") -> FeedResult:
    """Fetch a feed URL (conditional GET, limits) or read a feed file, then parse it."""
    text = os.fspath(source).strip()
    if text.lower().startswith(("http://", "https://")):
        return _fetch_http(text, timeout=timeout, user_agent=user_agent or DEFAULT_USER_AGENT,
                           max_bytes=max_bytes, etag=etag, last_modified=last_modified)
    if text.lower().startswith("file://"):
        from urllib.request import url2pathname  # 18 ms of imports, only for file:// sources

        path = Path(url2pathname(urlsplit(text).path))
    elif _SCHEME.match(text):
        raise FeedError(f"cannot fetch {text!r}: only http(s) URLs and file paths are supported", FEED_HINT)
    else:
        path = Path(text).expanduser()
    data = _read_file(path, max_bytes)
    result = parse(data, text)
    return replace(result, bytes_received=len(data))


def _read_file(path: Path, max_bytes: int) -> bytes:
    try:
        info = path.stat()
        size = info.st_size
        if path.is_dir():
            raise FeedError(f"{path} is a directory, not a feed file", "give the path of an RSS or Atom file")
        if not stat.S_ISREG(info.st_mode):  # /dev/zero never ends, a FIFO may never answer: no limit holds on them
            raise FeedError(f"{path} is not a regular file (a device, FIFO or socket), not a feed file",
                            "give the path of an RSS or Atom file")
        if size > max_bytes:
            raise FeedError(f"the feed file {path} is {size:,} bytes, over the {max_bytes:,}-byte limit",
                            "raise feed.max_bytes if this file really is a feed")
        with path.open("rb") as feed_file:
            data = feed_file.read(max_bytes + 1)  # a file growing since stat() is still held to the limit
        if len(data) > max_bytes:
            raise FeedError(f"the feed file {path} is over the {max_bytes:,}-byte limit",
                            "raise feed.max_bytes if this file really is a feed")
        return data
    except FileNotFoundError as exc:
        raise FeedError(f"no feed file at {path}", f"check the path, or give a feed URL; {FEED_HINT}") from exc
    except PermissionError as exc:
        raise FeedError(f"cannot read {path}: permission denied", "check the file's permissions") from exc
    except OSError as exc:
        raise FeedError(f"cannot read {path}: {exc.strerror or exc}", "check the path") from exc


def _fetch_http(url: str, *, timeout: float, user_agent: str, max_bytes: int, etag: str,
                last_modified: str) -> FeedResult:
    host = urlsplit(url).netloc or url
    # Substack answers 403 to a request without a User-Agent (the design notes, "Substack feeds").
    headers = {"User-Agent": user_agent, "Accept": _ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    # No address guard: the feed URL is the operator's own choice (a feed on the same machine is fine).
    try:
        got = download.get(url, timeout=timeout, max_bytes=max_bytes, headers=headers)
    except download.WebError as exc:
        raise _feed_error(exc, url, host, timeout, max_bytes) from exc
    new_etag = got.headers.get("ETag", "") or etag
    new_modified = got.headers.get("Last-Modified", "") or last_modified
    if got.status == 304:
        return FeedResult(url=url, etag=new_etag, last_modified=new_modified, not_modified=True, bytes_received=0)
    _check_status(got.status, url, host)
    result = parse(got.body, url, content_type=got.headers.get("Content-Type", ""))
    return replace(result, etag=new_etag, last_modified=new_modified, bytes_received=len(got.body))


def _feed_error(exc: download.WebError, url: str, host: str, timeout: float, max_bytes: int) -> FeedError:
    kind = exc.kind
    if kind == "too_big":
        return FeedError(f"the feed at {url} is over the {max_bytes:,}-byte limit",
                         "raise feed.max_bytes if this really is the feed")
    if kind == "deadline" and not exc.answered:
        return FeedError(f"{host} did not answer within {timeout:g} s",
                         "the server is slow or down; try later or raise feed.timeout")
    if kind == "deadline":
        return FeedError(f"{host} did not finish sending the feed within {timeout:g} s (feed.timeout, the whole download)",
                         "the server is very slow; try later or raise feed.timeout")
    if kind == "timeout" and "connecting" in exc.message:
        return FeedError(f"timed out connecting to {host} after {timeout:g} s",
                         "check the address and your network, or raise feed.timeout")
    if kind == "timeout":
        return FeedError(f"{host} did not answer within {timeout:g} s",
                         "the server is slow or down; try later or raise feed.timeout")
    if kind == "tls":
        return FeedError(f"TLS error talking to {host}", "check the address (https?) and the system clock")
    if kind == "redirects":
        return FeedError(f"{host} redirected too many times", "open the feed URL in a browser to check it")
    if kind == "broken":
        return FeedError(f"the connection to {host} broke off mid-download", "try again later")
    if kind == "unreachable":
        return FeedError(f"could not reach {host}: {_why_unreachable(exc)}", "check the feed URL and your network connection")
    return FeedError(f"could not fetch {url}: {exc.message}", "check the feed URL")


def _why_unreachable(exc: Exception) -> str:
    text = str(exc)
    if "does not resolve" in text:
        return "the host name does not resolve"
    if "refused" in text.lower():
        return "connection refused"
    if any(s in text for s in ("NameResolution", "Name or service not known", "getaddrinfo", "nodename")):
        return "the host name does not resolve"
    if "reset" in text.lower() or "RemoteDisconnected" in text or "aborted" in text.lower():
        return "the connection was dropped"
    return "network error"


def _check_status(status: int, url: str, host: str) -> None:
    if 200 <= status < 300:
        return
    if status == 403:
        raise FeedError(f"{host} refused the feed request (HTTP 403)",
                        "Substack answers 403 without a descriptive User-Agent: set feed.user_agent "
                        "(or leave it empty for the bot's own)")
    if status in (404, 410):
        raise FeedError(f"no feed at {url} (HTTP {status})", f"check the address; {FEED_HINT}")
    if status == 401:
        raise FeedError(f"{host} wants a login for this feed (HTTP 401)", "use a public feed URL")
    if status == 429:
        raise FeedError(f"{host} is rate-limiting the bot (HTTP 429)", "poll less often (daemon.interval)")
    if status >= 500:
        raise FeedError(f"{host} had a server error (HTTP {status})", "the feed server is having trouble; try later")
    raise FeedError(f"{host} answered HTTP {status} for the feed", "check the feed URL")


def parse(data: bytes, source: str, *, content_type: str = "") -> FeedResult:
    """Parse feed bytes (RSS or Atom) into entries, newest first; never touches the network."""
    feedparser = _feedparser()
    headers = {"content-location": source if "://" in source else ""}
    if content_type:
        headers["content-type"] = content_type
    if _looks_like_a_page(data, content_type):
        # feedparser's loose parser takes ~30 s and ~30x the bytes in memory on a large page: refused up front.
        raise _not_a_feed(data, source, content_type, {})
    # A BytesIO, never a str: feedparser treats a str as a URL or a path and would fetch it itself.
    # Relative links are resolved later against each post's own link (article.py), not the feed URL.
    # sanitize_html=False: feedparser's sanitizer drops what it does not allow (<template>, aria-hidden, hidden,
    # visibility and opacity styles) but keeps the text inside, so hidden text would become visible; the
    # article stage cleans the raw HTML itself and knows what a reader cannot see (bot.feed.article).
    # (It also halves the memory and time a 10 MB entry costs: 219 MB -> 102 MB.)
    parsed = feedparser.parse(io.BytesIO(data), response_headers=headers, resolve_relative_uris=False,
                              sanitize_html=False)
    if not parsed.get("version") and not parsed.entries:
        raise _not_a_feed(data, source, content_type, parsed)
    warnings: list[str] = []
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        if not _harmless(exc):
            warnings.append(f"the feed {source} is malformed ({_first_line(exc)}); using the "
                            f"{len(parsed.entries)} entries that could be read")
    feed = parsed.feed
    publication = _plain(feed.get("title", ""))
    language = str(feed.get("language", "") or "").strip()
    author = str(feed.get("author", "") or "").strip()  # Atom lets entries inherit the feed's author
    entries: list[Entry] = []
    seen: set[str] = set()
    for number, raw in enumerate(parsed.entries, 1):
        entry = _entry(raw, source, publication, language, author)
        if entry is None:
            title = _plain(raw.get("title", ""))[:60] or "untitled"
            warnings.append(f"skipped entry {number} ({title!r}) in {source}: it has neither a link nor a guid")
            continue
        if entry.key in seen:
            continue
        seen.add(entry.key)
        entries.append(entry)
    if entries and all(e.published for e in entries):
        entries.sort(key=lambda e: e.published, reverse=True)  # type: ignore[arg-type,return-value]
    # Otherwise the feed's own order stands: feeds list newest first by convention.
    return FeedResult(url=source, title=publication, entries=tuple(entries), warnings=tuple(warnings))


class _OnFirstUse(types.ModuleType):
    """A module imported when one of its names is first read (the import system's own look-ups find it loaded)."""

    def __getattr__(self, name: str) -> object:
        if name.startswith("__"):  # probes of a module's dunders (__path__, __file__) are not uses
            raise AttributeError(name)
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), name)


def _feedparser() -> types.ModuleType:
    """feedparser, with the HTTP client it imports (urllib.request → http.client → ssl: ~30 ms and 8 MB of a dry
    run) loaded only if something uses it: parse() hands feedparser bytes, which it never fetches, and
    xml.sax.saxutils opens a URL only for an external entity, which feedparser's parser never resolves."""
    if "feedparser" not in sys.modules:
        import urllib

        for name in ("urllib.request", "feedparser.http"):
            if name not in sys.modules:
                sys.modules[name] = _OnFirstUse(name)
        if "request" not in vars(urllib):
            urllib.request = sys.modules["urllib.request"]
    import feedparser  # noqa: F401 - loaded here, returned typed

    return sys.modules["feedparser"]


def _looks_like_a_page(data: bytes, content_type: str) -> bool:
    """True for an HTML page (by its start, or its type) with no RSS or Atom root near the top."""
    head = data[:4096].lstrip().lower()
    if b"<rss" in head or b"<feed" in head or b"<rdf:rdf" in head:
        return False
    return head.startswith((b"<!doctype html", b"<html")) or "html" in content_type.lower()


def _harmless(exc: object) -> bool:
    # feedparser flags a charset it had to override, or a feed served as text/plain; the text still
    # parsed, so neither is a reason to warn.
    import feedparser

    return isinstance(exc, (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType))


def _first_line(exc: object) -> str:
    text = str(exc or "unknown error").strip().splitlines()
    return clip(text[0], 160) if text else "unknown error"


def _not_a_feed(data: bytes, source: str, content_type: str, parsed: Mapping[str, object]) -> FeedError:
    head = data[:2048].lstrip().lower()
    if not data.strip():
        return FeedError(f"{source} is empty", f"expected an RSS or Atom feed; {FEED_HINT}")
    if "html" in content_type.lower() or head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        guess = ""
        parts = urlsplit(source)
        if parts.scheme in ("http", "https"):
            guess = f"; try {parts.scheme}://{parts.netloc}/feed"
        return FeedError(f"{source} is a web page, not a feed", f"give the feed's address{guess}; {FEED_HINT}")
    return FeedError(f"{source} is not an RSS or Atom feed ({_first_line(parsed.get('bozo_exception'))})",
                     FEED_HINT)


def _entry(raw: Mapping[str, object], source: str, publication: str, language: str, feed_author: str) -> Entry | None:
    link = _text(raw.get("link")).strip()
    guid = _text(raw.get("id")).strip() or link
    if not (link or guid):
        return None
    summary = _text(raw.get("summary"))
    contents = _items(raw.get("content"))
    body = ""
    for item in contents:
        if "html" in str(item.get("type", "")) or not body:
            body = _text(item.get("value"))
            if "html" in str(item.get("type", "")):
                break
    # A subtitle is short; feedparser copies a whole content:encoded into summary, and cleaning 10 MB of it
    # twice cost over 100 MB, so only the start is looked at.
    subtitle = _plain(summary[:_SUBTITLE_CHARS]) if body and summary.strip() != body.strip() else ""
    html_body = body or summary
    if subtitle and len(html_body) <= _SUBTITLE_CHARS and subtitle == _plain(html_body):
        subtitle = ""
    title = _plain(raw.get("title", "")) or subtitle or link
    detail = raw.get("author_detail")
    detail_name = detail.get("name", "") if isinstance(detail, Mapping) else ""
    author = str(raw.get("author", "") or detail_name or feed_author).strip()
    lang = language or str((contents[0].get("language") if contents else "") or "").strip()
    return Entry(feed=source, key=entry_key(link, guid), guid=guid, link=link, title=title,
                 subtitle=subtitle, author=author, published=_published(raw), html=html_body,
                 cover_url=_cover(raw), publication=publication, language=lang,
                 paywalled=is_paywalled(html_body))


def _text(value: object) -> str:
    """A feed field as text ("" for none)."""
    return str(value or "")


def _items(value: object) -> list[Mapping[str, object]]:
    """A feed field that is a list of dicts (contents, enclosures, media), as such; [] for none."""
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _plain(text: object) -> str:
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", str(text or "")))).strip()


def _published(raw: Mapping[str, object]) -> datetime | None:
    parsed = raw.get("published_parsed") or raw.get("updated_parsed")
    if not parsed or not isinstance(parsed, tuple):  # a time.struct_time
        return None
    # feedparser normalises every date to a UTC struct_time.
    year, month, day, hour, minute, second = parsed[:6]
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def _cover(raw: Mapping[str, object]) -> str:
    # Substack declares every enclosure as image/jpeg whatever the real format; keep only the URL and
    # let the image normaliser trust the bytes (the design notes, "Substack feeds").
    for enc in _items(raw.get("enclosures")):
        href = _text(enc.get("href"))
        if href and (str(enc.get("type", "")).startswith("image/") or not enc.get("type")):
            return href
    for media in _items(raw.get("media_thumbnail")) + _items(raw.get("media_content")):
        url = _text(media.get("url"))
        if url and media.get("medium", "image") == "image":
            return url
    return ""


def is_paywalled(html_body: str) -> bool:
    """True when a post's HTML ends in Substack's "Read more" link (the feed holds only the start)."""
    return bool(_READ_MORE_TAIL.search(html_body[-2000:].rstrip()) or _PAYWALL_BOX.search(html_body))


def entry_key(link: str, guid: str) -> str:
    """A stable key for an entry: its /p/<slug> path (survives a move to a custom domain), else guid or link."""
    for url in (link, guid):
        match = _SLUG.search(urlsplit(url or "").path or "")
        if match:
            return f"/p/{match.group(1)}"
    return (guid or link).strip()


def select(entries: Sequence[Entry], which: str = "latest") -> Entry:
    """Pick one entry: "latest" (the newest), or the one whose link, guid or key matches `which`."""
    if not entries:
        raise FeedError("the feed has no entries", "nothing to post yet; try again once the feed has a post")
    wanted = (which or "latest").strip()
    if wanted.lower() == "latest":
        if all(e.published for e in entries):
            return max(entries, key=lambda e: e.published)  # type: ignore[arg-type,return-value]
        return entries[0]
    for entry in entries:
        if wanted in (entry.link, entry.guid, entry.key):
            return entry
    norm = _norm_url(wanted)
    for entry in entries:
        if norm and norm in (_norm_url(entry.link), _norm_url(entry.guid)):
            return entry
    # The same post on another host (custom domain vs NAME.substack.com), or just its slug.
    key = entry_key(wanted, "") if "/p/" in wanted else f"/p/{wanted.strip('/')}"
    for entry in entries:
        if entry.key == key:
            return entry
    some = "; ".join(f"{e.title[:40]!r} ({e.key})" for e in entries[:4])
    more = f" and {len(entries) - 4} more" if len(entries) > 4 else ""
    raise EntryNotFound(f"no entry in the feed matches {wanted!r}",
                        f"use latest, a post's link, guid or key — available: {some}{more}")


def _norm_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.netloc.lower()}{parts.path.rstrip('/')}"
