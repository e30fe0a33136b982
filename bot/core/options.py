"""The table of every setting: name, type, default, environment variable, allowed values, description. Hand-written
rather than pydantic-settings: one small table drives defaults, the TOML file, the environment, validation messages
and the settings table in docs/settings.md, and keeps `bot --help` fast."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

Value = str | int | float | bool | list[str]  # what an option holds, by its type: str/choice, int, float, bool, list


@dataclass(frozen=True, slots=True)
class Option:
    """One setting: `section.key` in the TOML file, `env` in the environment."""

    section: str
    key: str
    type: str  # "str", "int", "float", "bool", "list", "choice"
    default: Value
    help: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    env_name: str = ""

    @property
    def name(self) -> str:
        return f"{self.section}.{self.key}" if self.section else self.key  # "" : a top-level setting

    @property
    def env(self) -> str:
        return self.env_name or f"BOT_{self.section.upper()}_{self.key.upper()}"


O = Option
OPTIONS: tuple[Option, ...] = (
    # top level (before any [section] in the file)
    O("", "networks", "list", ["x"], "Networks to publish to, in order: x, bluesky, mastodon (each gets its own thread).", env_name="BOT_NETWORKS"),
    # [feed]
    O("feed", "urls", "list", [], "Feeds to watch (URLs or file paths); empty: the bundled sample feed, for dry runs only (bot post refuses to publish it).", env_name="BOT_FEED_URL"),
    O("feed", "timeout", "float", 20.0, "Seconds a whole download may take (a feed or a cover image: connecting, redirects and body).", minimum=1, maximum=300),
    O("feed", "user_agent", "str", "", "User-Agent for feed requests (Substack answers 403 without one); empty: the bot's own."),
    O("feed", "max_bytes", "int", 20_000_000, "Largest feed body read, in bytes; a larger one is refused.", minimum=10_000, maximum=2_000_000_000),
    # [thread]
    O("thread", "tweets", "int", 3, "Tweets per thread.", minimum=1, maximum=25),
    O("thread", "numbering", "bool", False, "Prefix each tweet with its position, like 1/3."),
    O("thread", "link", "choice", "last", "Which tweet carries the article link (once per thread).", choices=("first", "last", "none")),
    O("thread", "utm", "str", "", "Query parameters added to the article link, e.g. utm_source=x&utm_medium=social."),
    O("thread", "hashtags", "int", 0, "Most hashtags per thread besides the tags the article writes (0: only those).", minimum=0, maximum=10),
    O("thread", "language", "str", "", "Language to write in, e.g. English; empty: the article's own."),
    O("thread", "voice", "str", "clear, warm and specific; no hype, no clickbait", "Voice and tone the model is asked to write in."),
    # [writer]
    O("writer", "backend", "choice", "auto", "Who writes: hf (a model), extractive (offline, from the article), auto (hf when a token or endpoint is set).", choices=("auto", "hf", "extractive")),
    O("writer", "model", "str", "Qwen/Qwen2.5-72B-Instruct", "Chat model on Hugging Face (or the model name a self-hosted server expects)."),
    O("writer", "fallback_models", "list", [], "Models to try in order when the main one fails or credits run out."),
    O("writer", "provider", "str", "", "Hugging Face inference provider; empty: Hugging Face's default routing."),
    O("writer", "base_url", "str", "", "An OpenAI-compatible server (TGI, vLLM, llama.cpp, Ollama) instead of Hugging Face.", env_name="BOT_LLM_BASE_URL"),
    O("writer", "temperature", "float", 0.7, "Sampling temperature.", minimum=0, maximum=2),
    O("writer", "top_p", "float", 0.95, "Nucleus sampling threshold.", minimum=0.01, maximum=1),
    O("writer", "seed", "int", -1, "Sampling seed for repeatable drafts (-1: none).", minimum=-1, maximum=4_294_967_295),
    O("writer", "max_tokens", "int", 1200, "Most tokens the model may answer with.", minimum=64, maximum=32768),
    O("writer", "stop", "list", [], "Stop sequences."),
    O("writer", "no_cache", "bool", False, "Ask Hugging Face not to serve a cached answer (header x-use-cache: 0)."),
    O("writer", "json_mode", "choice", "auto", "How to ask for JSON: schema (response_format json_schema), object, off (prompt only), auto (schema, then off if refused).", choices=("auto", "schema", "object", "off")),
    O("writer", "timeout", "float", 90.0, "Seconds one model request may take.", minimum=1, maximum=900),
    O("writer", "retries", "int", 3, "Retries of a model request after 429, 503 or a timeout.", minimum=0, maximum=10),
    O("writer", "context_tokens", "int", 6000, "Token budget for the article in the prompt; the body is trimmed to fit.", minimum=500, maximum=1_000_000),
    O("writer", "rewrite_attempts", "int", 2, "Times the model is asked to shorten a tweet that is too long, before a clean trim.", minimum=0, maximum=5),
    O("writer", "offline_fallback", "bool", True, "When every model fails, write the thread offline from the article instead of giving up."),
    O("writer", "templates_dir", "str", "", "Folder with your own copies of the prompt templates; empty: the bundled ones."),
    # [image]
    O("image", "chain", "list", ["hf", "cover", "card"], "Image sources tried in order: hf, gradio, cover, card, none."),
    O("image", "model", "str", "stabilityai/stable-diffusion-3.5-large", "Text-to-image model on Hugging Face."),
    O("image", "provider", "str", "", "Hugging Face inference provider for images; empty: default routing."),
    O("image", "base_url", "str", "", "A self-hosted text-to-image server speaking Hugging Face's task API.", env_name="BOT_IMAGE_BASE_URL"),
    O("image", "gradio_space", "str", "stabilityai/stable-diffusion-3.5-large", "Gradio Space id or URL of a Gradio app for the gradio source.", env_name="BOT_GRADIO_SPACE"),
    O("image", "gradio_api_name", "str", "/infer", "The Space's endpoint."),
    O("image", "gradio_inputs", "list", [], "For a Space whose inputs are named differently from SD 3.5's /infer: space_name=our_name pairs, e.g. num_steps=num_inference_steps (inputs the endpoint lacks are left out)."),
    O("image", "negative_prompt", "str", "text, words, letters, watermark, logo, blurry", "What the image must not show."),
    O("image", "width", "int", 1344, "Image width in pixels (X crops previews to 16:9).", minimum=256, maximum=4096),
    O("image", "height", "int", 768, "Image height in pixels.", minimum=256, maximum=4096),
    O("image", "guidance_scale", "float", 4.5, "Guidance scale.", minimum=0, maximum=30),
    O("image", "steps", "int", 28, "Inference steps.", minimum=1, maximum=150),
    O("image", "seed", "int", -1, "Image seed (-1: random).", minimum=-1, maximum=4_294_967_295),
    O("image", "timeout", "float", 180.0, "Seconds one image request may take.", minimum=1, maximum=1800),
    O("image", "allow_hosts", "list", [], "Hosts (names or IP addresses) a feed's image URLs may point to although they are loopback or private; others are refused (SSRF guard)."),
    O("image", "format", "choice", "jpeg", "Format of the image that is posted.", choices=("jpeg", "png")),
    # [x]
    O("x", "base_url", "str", "https://api.x.com", "X API base URL (for proxies and tests).", env_name="X_API_BASE_URL"),
    O("x", "timeout", "float", 30.0, "Seconds one X API request may take.", minimum=1, maximum=300),
    O("x", "retries", "int", 3, "Retries after a 5xx answer or a dropped connection.", minimum=0, maximum=10),
    O("x", "confirm_horizon", "float", 300.0, "Seconds after a post whose answer was lost during which the bot keeps looking for it on the account's timeline (with backoff) before it sends it again; X may show a new post late.", minimum=1, maximum=3600),
    O("x", "thread_mode", "choice", "reply", "How the posts of a thread are linked: reply (a real thread), quote (each quotes the one before), single (the first post only).", choices=("reply", "quote", "single")),
    O("x", "reply_fallback", "choice", "quote", "When X forbids a reply (403): quote the previous post, post nothing more (stop), or fail the entry.", choices=("quote", "stop", "fail")),
    O("x", "posts_per_day", "int", 17, "Most posts in any 24 hours (the legacy free tier allows 17); 0: no limit.", minimum=0, maximum=100_000),
    O("x", "posts_per_month", "int", 0, "Most posts per calendar month; 0: no limit.", minimum=0, maximum=10_000_000),
    O("x", "price_post", "float", 0.015, "Pay-per-use price of a post without a URL, in dollars.", minimum=0, maximum=100),
    O("x", "price_post_url", "float", 0.20, "Pay-per-use price of a post with a URL, in dollars.", minimum=0, maximum=100),
    # [bluesky]
    O("bluesky", "service", "str", "https://bsky.social", "The Bluesky PDS (or entryway) the account signs in to.", env_name="BLUESKY_SERVICE"),
    O("bluesky", "timeout", "float", 30.0, "Seconds one Bluesky request may take.", minimum=1, maximum=300),
    O("bluesky", "session_file", "str", "bluesky-session.json", "File keeping the Bluesky session between runs (one per service and account) when no database is in use yet (`bot check` before the first `bot post`); once the database exists the session is kept in it, whatever this says. A relative path is beside the SQLite database; empty: not kept."),
    # [mastodon]
    O("mastodon", "base_url", "str", "", "The Mastodon server the account is on, e.g. https://mastodon.social; a dry run reads its limits there (no token needed).", env_name="MASTODON_BASE_URL"),
    O("mastodon", "visibility", "choice", "public", "Who sees the statuses.", choices=("public", "unlisted", "private", "direct")),
    O("mastodon", "timeout", "float", 30.0, "Seconds one Mastodon request may take (a dry run's read of the instance's limits: at most 5).", minimum=1, maximum=300),
    O("mastodon", "retries", "int", 3, "Retries after a 5xx answer or a dropped connection (the Idempotency-Key makes them safe).", minimum=0, maximum=10),
    # [linkedin]
    O("linkedin", "author", "str", "", "Who posts on LinkedIn: the member's urn:li:person:… or the page's urn:li:organization:….", env_name="LINKEDIN_AUTHOR"),
    O("linkedin", "base_url", "str", "https://api.linkedin.com", "LinkedIn's API address (a proxy's, or a local one for tests).", env_name="LINKEDIN_BASE_URL"),
    O("linkedin", "api_version", "str", "202511", "The LinkedIn-Version header (YYYYMM); LinkedIn retires each about a year later (426): then set a recent month.", env_name="LINKEDIN_API_VERSION"),
    O("linkedin", "link_in_comment", "bool", False, "Put the article link in a first comment instead of the post (LinkedIn shows posts with outside links to fewer people)."),
    O("linkedin", "confirm_horizon", "float", 300.0, "Seconds after a post whose answer was lost during which the bot does not send it again: each run looks for it among the author's posts and, not finding it, waits; past this it is sent again (a request that lands later than this is posted twice).", minimum=0, maximum=3600),
    O("linkedin", "timeout", "float", 30.0, "Seconds one LinkedIn request may take.", minimum=1, maximum=300),
    O("linkedin", "token_file", "str", "linkedin-token.json", "File keeping when the LinkedIn token was first used (its hash, never the token), so `bot check` warns before its 60 days end; a relative path is beside the SQLite database; empty: no warning."),
    # [threads]
    O("threads", "user_id", "str", "", "The Threads user id that posts (the id GET /me answers for THREADS_ACCESS_TOKEN).", env_name="THREADS_USER_ID"),
    O("threads", "base_url", "str", "https://graph.threads.net", "Threads' Graph API address (a proxy's, or a local one for tests).", env_name="THREADS_BASE_URL"),
    O("threads", "confirm_horizon", "float", 300.0, "Seconds after a post whose answer was lost during which the bot does not send it again: each run looks for it on the profile and, not finding it, waits; past this it is sent again (a request that lands later than this is posted twice).", minimum=0, maximum=3600),
    O("threads", "timeout", "float", 30.0, "Seconds one Threads request may take.", minimum=1, maximum=300),
    O("threads", "token_file", "str", "threads-token.json", "File keeping the refreshed Threads token (Meta's long-lived tokens last 60 days and are refreshed before); a relative path is beside the SQLite database; empty: never refreshed."),
    # [store]
    O("store", "sqlite_path", "str", "bot.db", "SQLite file used when DATABASE_URL is not set."),
    O("store", "lease_seconds", "int", 600, "How long a claim on an entry holds unless renewed; its holder renews it while it works (every sixth of it, at most every 10 s), and another process takes over only a claim left to run out.", minimum=1, maximum=86_400),
    # [daemon]
    O("daemon", "interval", "int", 900, "Seconds between polls of each feed.", minimum=30, maximum=604_800),
    O("daemon", "jitter", "int", 60, "Random seconds added to each poll, so feeds do not fire together.", minimum=0, maximum=86_400),
    O("daemon", "misfire_grace", "int", 300, "Seconds late a poll may still run.", minimum=1, maximum=604_800),
    O("daemon", "backlog", "choice", "skip", "On a feed's first poll: skip (record existing entries, post nothing) or latest (post the newest backlog_count).", choices=("skip", "latest")),
    O("daemon", "backlog_count", "int", 1, "With backlog = latest: how many of the newest entries to post.", minimum=1, maximum=20),
    O("daemon", "max_attempts", "int", 5, "Attempts per entry before it is reported as failed.", minimum=1, maximum=50),
    O("daemon", "retry_backoff", "int", 300, "Seconds before the first retry of a failed entry; doubles each time, up to a day.", minimum=1, maximum=86_400),
    O("daemon", "window", "str", "", "Hours when posting is allowed, in daemon.timezone, e.g. 08:00-22:00; empty: any time."),
    O("daemon", "daily_cap", "int", 0, "Most threads per day (in daemon.timezone) on each account; 0: no limit.", minimum=0, maximum=10_000),
    O("daemon", "timezone", "str", "", "Time zone of the posting window and the daily cap's day, e.g. Europe/Paris; empty: UTC."),
    O("daemon", "spacing", "int", 0, "Least seconds between the starts of two threads on one account; 0: none.", minimum=0, maximum=604_800),
    O("daemon", "heartbeat_file", "str", "bot.heartbeat", "File touched after every poll (the Docker healthcheck reads it)."),
    O("daemon", "stall_after", "int", 0, "Exit non-zero when no poll finished for this many seconds, so the platform restarts the bot; 0: 3 intervals.", minimum=0, maximum=2_592_000),
    # [log]
    O("log", "format", "choice", "text", "Log lines as text or json.", choices=("text", "json")),
    O("log", "level", "choice", "INFO", "Least severe level logged.", choices=("DEBUG", "INFO", "WARNING", "ERROR")),
    # [output]
    O("output", "dir", "str", "out", "Where `bot post` writes thread.json, the image and preview.html."),
    # [review]
    O("review", "mode", "choice", "auto", "auto: `bot run` publishes each new entry; approve: it prepares a draft and waits for `bot drafts approve` or the web page.", choices=("auto", "approve")),
    O("review", "notify_url", "str", "", "Webhook (Slack or Discord incoming webhook) told when a draft starts waiting; empty: none."),
    # [web]
    O("web", "public_url", "str", "", "The review page's address as users reach it (links in notifications), e.g. https://mybot.herokuapp.com."),
    O("web", "host", "str", "127.0.0.1", "Address `bot serve` and `bot run --web` listen on (PORT set, as on Heroku: 0.0.0.0)."),
    O("web", "port", "int", 8080, "Port `bot serve` listens on (PORT overrides it, as on Heroku).", minimum=1, maximum=65535),
    O("web", "allow_hosts", "list", [], "Host names the page answers to besides loopback, IP addresses and web.public_url's host (a Host header naming any other is refused: DNS rebinding), e.g. bot.example.com, *.example.com."),
    O("web", "trusted_proxies", "list", [], "Proxies whose X-Forwarded-For/-Proto the page believes (IP addresses or networks, e.g. 10.0.0.0/8); * trusts any peer as the one proxy (on Heroku: only its router reaches a dyno, and it appends the client's address). Empty: none."),
    O("web", "max_connections", "int", 200, "Most connections the page keeps open (never more than a quarter of the process's file-descriptor limit, so polls keep theirs); past it, the slowest client is dropped.", minimum=8, maximum=100_000),
    O("web", "request_timeout", "float", 10.0, "Seconds a client may take to send a whole request (headers and body); a slower one is disconnected.", minimum=1, maximum=300),
)
del O

BY_NAME: dict[str, Option] = {o.name: o for o in OPTIONS}
SECTIONS: tuple[str, ...] = tuple(dict.fromkeys(o.section for o in OPTIONS if o.section))
TOP_LEVEL: tuple[Option, ...] = tuple(o for o in OPTIONS if not o.section)
NETWORKS: tuple[str, ...] = ("x", "bluesky", "mastodon", "linkedin", "threads")

# A publication may override these sections ([publications.NAME.thread] ...); the others are the install's.
PUBLICATION_SECTIONS: tuple[str, ...] = ("thread", "writer", "image", "review", "daemon", *NETWORKS)


@dataclass(frozen=True, slots=True)
class Publication:
    """One [publications.NAME] table: its feeds, networks, account per network, and its overrides (option name -> value)."""

    name: str
    feeds: tuple[str, ...]
    networks: tuple[str, ...]
    accounts: tuple[tuple[str, str], ...]  # (network, account)
    overrides: tuple[tuple[str, Value], ...] = ()


# Secrets: read from the environment (or .env) only, never from the settings file.
SECRETS: dict[str, str] = {
    "HF_TOKEN": "Hugging Face token for chat and text-to-image (and private Spaces).",
    "BOT_LLM_API_KEY": "Key sent to BOT_LLM_BASE_URL (the Hugging Face token never is).",
    "BOT_IMAGE_API_KEY": "Key sent to BOT_IMAGE_BASE_URL.",
    "X_API_KEY": "X consumer key (OAuth 1.0a user context).",
    "X_API_SECRET": "X consumer secret.",
    "X_ACCESS_TOKEN": "X access token of the posting account.",
    "X_ACCESS_TOKEN_SECRET": "X access token secret.",
    "DATABASE_URL": "Database URL; default a SQLite file. Heroku's postgres:// is accepted.",
    "BOT_WEB_TOKEN": "Password of the review page (and Bearer token of POST /api/poll); without it the page serves loopback only.",
    "BLUESKY_HANDLE": "Bluesky handle (or DID) of the posting account, e.g. name.bsky.social.",
    "BLUESKY_APP_PASSWORD": "Bluesky app password of that account (Settings → App passwords).",
    "MASTODON_ACCESS_TOKEN": "Mastodon access token with the write:statuses and write:media scopes.",
    "LINKEDIN_ACCESS_TOKEN": "LinkedIn access token with w_member_social (or w_organization_social for a page); it lasts 60 days.",
    "THREADS_ACCESS_TOKEN": "Threads long-lived token with threads_basic, threads_content_publish and threads_manage_replies.",
}


# One frozen dataclass per section: `settings.thread.tweets` is an int to mypy. Written out rather than generated, so
# an editor and mypy see them; tests/core/test_settings_types.py checks them against OPTIONS field by field (name,
# type, default), so the two cannot drift apart.

@dataclass(frozen=True, slots=True)
class FeedSettings:
    """The [feed] section."""

    urls: list[str] = field(default_factory=list)
    timeout: float = 20.0
    user_agent: str = ""
    max_bytes: int = 20_000_000


@dataclass(frozen=True, slots=True)
class ThreadSettings:
    """The [thread] section."""

    tweets: int = 3
    numbering: bool = False
    link: Literal["first", "last", "none"] = "last"
    utm: str = ""
    hashtags: int = 0
    language: str = ""
    voice: str = "clear, warm and specific; no hype, no clickbait"


@dataclass(frozen=True, slots=True)
class WriterSettings:
    """The [writer] section."""

    backend: Literal["auto", "hf", "extractive"] = "auto"
    model: str = "Qwen/Qwen2.5-72B-Instruct"
    fallback_models: list[str] = field(default_factory=list)
    provider: str = ""
    base_url: str = ""
    temperature: float = 0.7
    top_p: float = 0.95
    seed: int = -1
    max_tokens: int = 1200
    stop: list[str] = field(default_factory=list)
    no_cache: bool = False
    json_mode: Literal["auto", "schema", "object", "off"] = "auto"
    timeout: float = 90.0
    retries: int = 3
    context_tokens: int = 6000
    rewrite_attempts: int = 2
    offline_fallback: bool = True
    templates_dir: str = ""


@dataclass(frozen=True, slots=True)
class ImageSettings:
    """The [image] section."""

    chain: list[str] = field(default_factory=lambda: ["hf", "cover", "card"])
    model: str = "stabilityai/stable-diffusion-3.5-large"
    provider: str = ""
    base_url: str = ""
    gradio_space: str = "stabilityai/stable-diffusion-3.5-large"
    gradio_api_name: str = "/infer"
    gradio_inputs: list[str] = field(default_factory=list)
    negative_prompt: str = "text, words, letters, watermark, logo, blurry"
    width: int = 1344
    height: int = 768
    guidance_scale: float = 4.5
    steps: int = 28
    seed: int = -1
    timeout: float = 180.0
    allow_hosts: list[str] = field(default_factory=list)
    format: Literal["jpeg", "png"] = "jpeg"


@dataclass(frozen=True, slots=True)
class XSettings:
    """The [x] section."""

    base_url: str = "https://api.x.com"
    timeout: float = 30.0
    retries: int = 3
    confirm_horizon: float = 300.0
    thread_mode: Literal["reply", "quote", "single"] = "reply"
    reply_fallback: Literal["quote", "stop", "fail"] = "quote"
    posts_per_day: int = 17
    posts_per_month: int = 0
    price_post: float = 0.015
    price_post_url: float = 0.2


@dataclass(frozen=True, slots=True)
class BlueskySettings:
    """The [bluesky] section."""

    service: str = "https://bsky.social"
    timeout: float = 30.0
    session_file: str = "bluesky-session.json"


@dataclass(frozen=True, slots=True)
class MastodonSettings:
    """The [mastodon] section."""

    base_url: str = ""
    visibility: Literal["public", "unlisted", "private", "direct"] = "public"
    timeout: float = 30.0
    retries: int = 3


@dataclass(frozen=True, slots=True)
class LinkedinSettings:
    """The [linkedin] section."""

    author: str = ""
    base_url: str = "https://api.linkedin.com"
    api_version: str = "202511"
    link_in_comment: bool = False
    confirm_horizon: float = 300.0
    timeout: float = 30.0
    token_file: str = "linkedin-token.json"


@dataclass(frozen=True, slots=True)
class ThreadsSettings:
    """The [threads] section."""

    user_id: str = ""
    base_url: str = "https://graph.threads.net"
    confirm_horizon: float = 300.0
    timeout: float = 30.0
    token_file: str = "threads-token.json"


@dataclass(frozen=True, slots=True)
class StoreSettings:
    """The [store] section."""

    sqlite_path: str = "bot.db"
    lease_seconds: int = 600


@dataclass(frozen=True, slots=True)
class DaemonSettings:
    """The [daemon] section."""

    interval: int = 900
    jitter: int = 60
    misfire_grace: int = 300
    backlog: Literal["skip", "latest"] = "skip"
    backlog_count: int = 1
    max_attempts: int = 5
    retry_backoff: int = 300
    window: str = ""
    daily_cap: int = 0
    timezone: str = ""
    spacing: int = 0
    heartbeat_file: str = "bot.heartbeat"
    stall_after: int = 0


@dataclass(frozen=True, slots=True)
class LogSettings:
    """The [log] section."""

    format: Literal["text", "json"] = "text"
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


@dataclass(frozen=True, slots=True)
class OutputSettings:
    """The [output] section."""

    dir: str = "out"


@dataclass(frozen=True, slots=True)
class ReviewSettings:
    """The [review] section."""

    mode: Literal["auto", "approve"] = "auto"
    notify_url: str = ""


@dataclass(frozen=True, slots=True)
class WebSettings:
    """The [web] section."""

    public_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8080
    allow_hosts: list[str] = field(default_factory=list)
    trusted_proxies: list[str] = field(default_factory=list)
    max_connections: int = 200
    request_timeout: float = 10.0


SECTION_CLASSES: dict[str, Callable[..., object]] = {
    "feed": FeedSettings, "thread": ThreadSettings, "writer": WriterSettings, "image": ImageSettings,
    "x": XSettings, "bluesky": BlueskySettings, "mastodon": MastodonSettings,
    "linkedin": LinkedinSettings, "threads": ThreadsSettings, "store": StoreSettings,
    "daemon": DaemonSettings, "log": LogSettings, "output": OutputSettings, "review": ReviewSettings,
    "web": WebSettings,
}
