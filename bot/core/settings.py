"""Settings: defaults < config/bot.toml (or the file in BOT_CONFIG) < environment; secrets from the environment only."""

from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from urllib.parse import unquote, urlsplit
from typing import Iterable, Mapping

from bot.core import errors
from bot.core.errors import ConfigError
from bot.core.options import (BY_NAME, NETWORKS, OPTIONS, SECRETS, SECTION_CLASSES, SECTIONS, BlueskySettings,
                              DaemonSettings, FeedSettings, ImageSettings, LogSettings, MastodonSettings, LinkedinSettings, ThreadsSettings, Option,
                              OutputSettings, ReviewSettings, StoreSettings, ThreadSettings, Value, WebSettings,
                              WriterSettings, XSettings)

DEFAULT_CONFIG = Path("config") / "bot.toml"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
LONGEST = 4300  # digits: Python's int() (and tomllib) refuse a longer whole number (sys.get_int_max_str_digits)
_DIGITS = re.compile(r"[+-]?[0-9_]+")
WHOLE_ONLY = ("DATABASE_URL", "BLUESKY_HANDLE")  # secrets whose pieces are not secret


@dataclass(frozen=True)
class Secrets:
    """Credentials taken from the environment; never printed (repr shows only which are set)."""

    values: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # From now on every message this process makes is redacted against them. A URL and a handle are hidden
        # whole only: their pieces ("postgresql://", ".bsky.social") are ordinary text.
        whole = {self.values.get(name, "") for name in WHOLE_ONLY}
        errors.hide([v for v in self.hidden() if v in whole], pieces=False)
        errors.hide([v for v in self.hidden() if v not in whole])

    def hidden(self) -> list[str]:
        """Every value to hide: each secret, and the password inside DATABASE_URL on its own (it is shown reshaped)."""
        values = [v for v in self.values.values() if v]
        url = self.values.get("DATABASE_URL", "")
        if url:
            try:
                password = urlsplit(url).password or ""
            except ValueError:
                password = ""
            values += [password, unquote(password)]
        return sorted({v for v in values if len(v) >= 4}, key=len, reverse=True)

    def get(self, name: str) -> str:
        """The secret's value, or "" when unset."""
        return self.values.get(name, "")

    def has(self, *names: str) -> bool:
        """True when every named secret is set."""
        return all(self.values.get(n) for n in names)

    def redact(self, text: str) -> str:
        """`text` with every secret value replaced by ***."""
        for value in self.hidden():
            text = text.replace(value, "***")
        return errors.redact(text)

    def __repr__(self) -> str:
        return f"Secrets(set={sorted(k for k, v in self.values.items() if v)})"


@dataclass(frozen=True)
class Settings:
    """Every option's value by section (`settings.thread.tweets`, typed: one frozen dataclass per section, made
    from `values`), where each came from, and the secrets."""

    values: Mapping[str, Value]
    sources: Mapping[str, str]  # option name -> "default" | file path | env var name
    secrets: Secrets = field(default_factory=Secrets)
    config_file: Path | None = None
    networks: list[str] = field(init=False, repr=False, compare=False)  # the one top-level setting
    feed: FeedSettings = field(init=False, repr=False, compare=False)
    thread: ThreadSettings = field(init=False, repr=False, compare=False)
    writer: WriterSettings = field(init=False, repr=False, compare=False)
    image: ImageSettings = field(init=False, repr=False, compare=False)
    x: XSettings = field(init=False, repr=False, compare=False)
    bluesky: BlueskySettings = field(init=False, repr=False, compare=False)
    mastodon: MastodonSettings = field(init=False, repr=False, compare=False)
    linkedin: LinkedinSettings = field(init=False, repr=False, compare=False)
    threads: ThreadsSettings = field(init=False, repr=False, compare=False)
    store: StoreSettings = field(init=False, repr=False, compare=False)
    daemon: DaemonSettings = field(init=False, repr=False, compare=False)
    log: LogSettings = field(init=False, repr=False, compare=False)
    output: OutputSettings = field(init=False, repr=False, compare=False)
    review: ReviewSettings = field(init=False, repr=False, compare=False)
    web: WebSettings = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Values are taken as given (the loader has checked them; tests may set one past its limits on purpose).
        object.__setattr__(self, "networks", self.values["networks"])
        for section, make in SECTION_CLASSES.items():
            fields = {o.key: self.values[o.name] for o in OPTIONS if o.section == section}
            object.__setattr__(self, section, make(**fields))

    def get(self, name: str) -> Value:
        """The value of `section.key`."""
        return self.values[name]

    def replace(self, **changes: object) -> "Settings":
        """A copy with some options changed, given as section__key=value (for the CLI and tests)."""
        values = dict(self.values)
        sources = dict(self.sources)
        for name, value in changes.items():
            option = BY_NAME[name.replace("__", ".")]
            values[option.name] = parse_value(option, value, "command line")
            sources[option.name] = "command line"
        return Settings(MappingProxyType(values), MappingProxyType(sources), self.secrets, self.config_file)


def parse_value(option: Option, raw: object, where: str) -> Value:
    """Convert a value from the file (typed) or the environment (a string) to the option's type, or raise ConfigError."""
    what = f"{option.name} ({where})"
    shown, quoted = _shown(raw, False), _shown(raw, True)
    try:
        if option.type == "bool":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in _TRUE or text in _FALSE:
                return text in _TRUE
            raise ValueError
        if option.type == "list":
            if isinstance(raw, str):
                return [p.strip() for p in raw.split(",") if p.strip()]
            if isinstance(raw, list):
                texts = [p for p in raw if isinstance(p, str)]
                if len(texts) == len(raw):
                    return [p.strip() for p in texts if p.strip()]
            raise ValueError
        if option.type in ("int", "float"):
            if isinstance(raw, bool):
                raise ValueError
            text = str(raw).strip()
            if len(text) > LONGEST and _DIGITS.fullmatch(text):  # past int()'s digit limit: out of range, not a typo
                raise ConfigError(f"{what} is a number of {len(text.lstrip('+-'))} digits, "
                                  + (f"below the least allowed {_bound(option.minimum)}" if text.startswith("-")
                                     else f"above the most allowed {_bound(option.maximum)}"),
                                  f"set it to a number from {_bound(option.minimum)} to {_bound(option.maximum)}")
            value: float = int(text) if option.type == "int" else float(text)
            if not math.isfinite(value):  # nan passes every comparison; inf overflows a timer or a datetime later
                low, high = _bound(option.minimum), _bound(option.maximum)
                raise ConfigError(f"{what} is {shown}, not a finite number", f"set it to a number from {low} to {high}")
            if option.minimum is not None and value < option.minimum:
                raise ConfigError(f"{what} is {shown}, below the least allowed {_bound(option.minimum)}", f"set it to {_bound(option.minimum)} or more")
            if option.maximum is not None and value > option.maximum:
                raise ConfigError(f"{what} is {shown}, above the most allowed {_bound(option.maximum)}", f"set it to {_bound(option.maximum)} or less")
            return value
        if option.type == "choice":
            text = str(raw).strip()
            for choice in option.choices:
                if text.lower() == choice.lower():
                    return choice
            raise ConfigError(f"{what} is {quoted}", f"allowed: {', '.join(option.choices)}")
        if not isinstance(raw, str):
            raise ValueError
        return raw.strip()
    except ValueError:
        kind = {"bool": "true or false", "list": "a list of strings (comma-separated in the environment)",
                "int": "a whole number", "float": "a number", "str": "a string"}[option.type]
        raise ConfigError(f"{what} is {quoted}, not {kind}", "fix it in the settings file or the environment") from None


def _shown(raw: object, quoted: bool) -> str:
    """A value as a message repeats it (`quoted`: its repr), a long one shortened: a message is one line."""
    text = repr(raw) if quoted else str(raw)
    return text if len(text) <= 60 else f"{text[:40]}… ({len(text)} characters)"


def _read_file(path: Path) -> dict[str, object]:
    text = ""
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except FileNotFoundError:
        raise ConfigError(f"settings file {path} does not exist", "create it (copy config/bot.toml) or unset BOT_CONFIG") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"settings file {path} cannot be read: {exc}", "check its permissions and encoding (UTF-8)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"settings file {path} is not valid TOML: {exc}", "fix the line it names") from None
    except ValueError:  # tomllib's int() refuses a whole number of more than 4,300 digits: no setting allows one
        name, negative = _long_number(text)
        option = BY_NAME.get(name)
        limit = "" if option is None else (f", below the least allowed {_bound(option.minimum)}" if negative
                                           else f", above the most allowed {_bound(option.maximum)}")
        raise ConfigError(f"settings file {path}: {name or 'a value'} is a number of more than {LONGEST} digits{limit}",
                          "fix the value it names") from None
    flat: dict[str, object] = {}
    for section, body in data.items():
        if section in BY_NAME and not BY_NAME[section].section:  # a top-level setting (`networks = [...]`)
            flat[section] = body
            continue
        if section not in SECTIONS or not isinstance(body, dict):
            secret = section.upper() in SECRETS
            hint = "secrets belong in the environment or .env" if secret else _suggest(section, SECTIONS, "sections")
            raise ConfigError(f"{path}: unknown section [{section}]" if not secret else f"{path}: {section} is a secret", hint)
        for key, value in body.items():
            name = f"{section}.{key}"
            if name not in BY_NAME:
                if key.upper() in SECRETS or any(w in key.lower() for w in ("token", "secret", "password", "api_key")):
                    raise ConfigError(f"{path}: {name} looks like a secret", "secrets belong in the environment or .env, never in the settings file")
                raise ConfigError(f"{path}: unknown setting {name}", _suggest(name, BY_NAME, "settings"))
            flat[name] = value
    return flat


def _long_number(text: str) -> tuple[str, bool]:
    """The `section.key` of the first value in a TOML text with more digits than int() reads ("" when not found),
    and whether it is negative."""
    section = ""
    for line in text.splitlines():
        header = re.match(r"\s*\[\s*([^\]]+?)\s*\]", line)
        if header:
            section = header.group(1).strip()
            continue
        found = re.match(r"\s*([\w.\-\"']+)\s*=\s*([+-]?)[0-9_]{%d,}" % (LONGEST + 1), line)
        if found:
            key = found.group(1).strip("\"'")
            return (f"{section}.{key}" if section else key), found.group(2) == "-"
    return "", False


def _suggest(word: str, known: Iterable[str], what: str) -> str:
    import difflib  # only for a misspelt name: 6 ms of start-up otherwise

    close = difflib.get_close_matches(word, list(known), n=1)
    return f"did you mean {close[0]}?" if close else f"see config/bot.toml for the known {what}"


def read_env(environ: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env")) -> dict[str, str]:
    """The environment, with a .env file's values beneath it (the real environment wins)."""
    merged: dict[str, str] = {}
    if dotenv is not None and dotenv.is_file():
        from dotenv import dotenv_values

        merged.update({k: v for k, v in dotenv_values(dotenv).items() if v is not None})
    merged.update(os.environ if environ is None else environ)
    return merged


def load(environ: Mapping[str, str] | None = None, *, dotenv: Path | None = Path(".env")) -> Settings:
    """Settings from defaults, then the settings file, then the environment; raises ConfigError on any bad value."""
    env = read_env(environ, dotenv)
    values: dict[str, Value] = {o.name: o.default for o in OPTIONS}
    sources: dict[str, str] = {o.name: "default" for o in OPTIONS}
    config_file: Path | None = None
    if env.get("BOT_CONFIG"):
        config_file = Path(env["BOT_CONFIG"])
    elif DEFAULT_CONFIG.is_file():
        config_file = DEFAULT_CONFIG
    if config_file is not None:
        for name, raw in _read_file(config_file).items():
            values[name] = parse_value(BY_NAME[name], raw, str(config_file))
            sources[name] = str(config_file)
    for option in OPTIONS:
        raw = env.get(option.env)
        if raw is not None and (raw.strip() or option.type in ("str", "list")):
            values[option.name] = parse_value(option, raw, option.env)
            sources[option.name] = option.env
    _check_together(values)
    secrets = Secrets(MappingProxyType({k: env[k].strip() for k in SECRETS if env.get(k, "").strip()}))
    return Settings(MappingProxyType(values), MappingProxyType(sources), secrets, config_file)


def _bound(limit: float | None) -> str:
    """A limit as a user writes it: 604800, not 6.048e+05."""
    if limit is None:
        return "any"
    return str(int(limit)) if float(limit).is_integer() else f"{limit:g}"


def _check_together(values: dict[str, Value]) -> None:
    allowed = ("hf", "gradio", "cover", "card", "none")
    for source in _strings(values["image.chain"]):
        if source not in allowed:
            raise ConfigError(f"image.chain names {source!r}", f"allowed: {', '.join(allowed)}")
    window = _text(values["daemon.window"])
    if window and not _valid_window(window):
        raise ConfigError(f"daemon.window is {window!r}", "write it as HH:MM-HH:MM in UTC, e.g. 08:00-22:00, or leave it empty")
    networks = _strings(values["networks"])
    unknown = [n for n in networks if n.lower() not in NETWORKS]
    if unknown or not networks:
        raise ConfigError(f"networks names {', '.join(map(repr, unknown))}" if unknown else "networks is empty",
                          f"allowed: {', '.join(NETWORKS)} (comma-separated in BOT_NETWORKS)")
    values["networks"] = list(dict.fromkeys(n.lower() for n in networks))
    for proxy in _strings(values["web.trusted_proxies"]):
        if proxy != "*" and not _network(proxy):
            raise ConfigError(f"web.trusted_proxies names {proxy!r}", "give IP addresses or networks such as "
                              "10.0.0.0/8, or * for any peer (Heroku), comma-separated in BOT_WEB_TRUSTED_PROXIES")
    for name in ("writer.base_url", "image.base_url", "x.base_url", "bluesky.service", "mastodon.base_url", "linkedin.base_url",
                 "threads.base_url"):
        url = _text(values[name])
        if url and (not url.startswith(("http://", "https://")) or not _parses(url)):
            raise ConfigError(f"{name} is {url!r}", "give a full http:// or https:// URL")


def _strings(value: Value) -> list[str]:
    """A list option's value (parse_value made it a list of strings)."""
    return value if isinstance(value, list) else []


def _text(value: Value) -> str:
    """A string option's value."""
    return value if isinstance(value, str) else ""


def _network(text: str) -> bool:
    """True for an IP address or network (10.0.0.0/8, ::1)."""
    import ipaddress

    try:
        ipaddress.ip_network(text, strict=False)
        return True
    except ValueError:
        return False


def _parses(url: str) -> bool:
    """True when the URL has a host and, if given, a port number (urllib reads both as a request would)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        return bool(parts.hostname) and (parts.port is None or parts.port > 0)
    except ValueError:  # "http://[::1" (an unclosed IPv6 bracket), "http://host:port" and the like
        return False


def _valid_window(text: str) -> bool:
    try:
        start, end = text.split("-")
        for part in (start, end):
            hours, minutes = part.strip().split(":")
            if not (0 <= int(hours) <= 24 and 0 <= int(minutes) < 60):
                return False
    except ValueError:
        return False
    return True
