"""Reading settings values: a raw value (the file's, typed; the environment's, a string) to an option's type, the
settings file's tables, and the small checks of a value's shape; each problem is one ConfigError line."""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path

from bot.core.errors import ConfigError
from bot.core.options import BY_NAME, SECRETS, SECTIONS, Option, Value

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
LONGEST = 4300  # digits: Python's int() (and tomllib) refuse a longer whole number (sys.get_int_max_str_digits)
_DIGITS = re.compile(r"[+-]?[0-9_]+")


def parse_value(option: Option, raw: object, where: str) -> Value:
    """Convert a value from the file (typed) or the environment (a string) to the option's type, or raise ConfigError."""
    what = f"{option.name} ({where})"
    as_text, quoted = shown(raw, False), shown(raw, True)
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
                                  + (f"below the least allowed {bound(option.minimum)}" if text.startswith("-")
                                     else f"above the most allowed {bound(option.maximum)}"),
                                  f"set it to a number from {bound(option.minimum)} to {bound(option.maximum)}")
            value: float = int(text) if option.type == "int" else float(text)
            if not math.isfinite(value):  # nan passes every comparison; inf overflows a timer or a datetime later
                low, high = bound(option.minimum), bound(option.maximum)
                raise ConfigError(f"{what} is {as_text}, not a finite number", f"set it to a number from {low} to {high}")
            if option.minimum is not None and value < option.minimum:
                raise ConfigError(f"{what} is {as_text}, below the least allowed {bound(option.minimum)}", f"set it to {bound(option.minimum)} or more")
            if option.maximum is not None and value > option.maximum:
                raise ConfigError(f"{what} is {as_text}, above the most allowed {bound(option.maximum)}", f"set it to {bound(option.maximum)} or less")
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


def shown(raw: object, quoted: bool) -> str:
    """A value as a message repeats it (`quoted`: its repr), a long one shortened: a message is one line."""
    text = repr(raw) if quoted else str(raw)
    return text if len(text) <= 60 else f"{text[:40]}… ({len(text)} characters)"


def read_file(path: Path) -> dict[str, object]:
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
        limit = "" if option is None else (f", below the least allowed {bound(option.minimum)}" if negative
                                           else f", above the most allowed {bound(option.maximum)}")
        raise ConfigError(f"settings file {path}: {name or 'a value'} is a number of more than {LONGEST} digits{limit}",
                          "fix the value it names") from None
    flat: dict[str, object] = {}
    for section, body in data.items():
        if section == "publications" and isinstance(body, dict):
            flat[section] = body
            continue
        if section in BY_NAME and not BY_NAME[section].section:  # a top-level setting (`networks = [...]`)
            flat[section] = body
            continue
        if section not in SECTIONS or not isinstance(body, dict):
            secret = section.upper() in SECRETS
            hint = "secrets belong in the environment or .env" if secret else suggest(section, SECTIONS, "sections")
            raise ConfigError(f"{path}: unknown section [{section}]" if not secret else f"{path}: {section} is a secret", hint)
        for key, value in body.items():
            name = f"{section}.{key}"
            if name not in BY_NAME:
                if key.upper() in SECRETS or any(w in key.lower() for w in ("token", "secret", "password", "api_key")):
                    raise ConfigError(f"{path}: {name} looks like a secret", "secrets belong in the environment or .env, never in the settings file")
                raise ConfigError(f"{path}: unknown setting {name}", suggest(name, BY_NAME, "settings"))
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


def suggest(word: str, known: Iterable[str], what: str) -> str:
    import difflib  # only for a misspelt name: 6 ms of start-up otherwise

    close = difflib.get_close_matches(word, list(known), n=1)
    return f"did you mean {close[0]}?" if close else f"see config/bot.toml for the known {what}"


def bound(limit: float | None) -> str:
    """A limit as a user writes it: 604800, not 6.048e+05."""
    if limit is None:
        return "any"
    return str(int(limit)) if float(limit).is_integer() else f"{limit:g}"


def strings(value: Value) -> list[str]:
    """A list option's value (parse_value made it a list of strings)."""
    return value if isinstance(value, list) else []


def text_of(value: Value) -> str:
    """A string option's value."""
    return value if isinstance(value, str) else ""


def is_network(text: str) -> bool:
    """True for an IP address or network (10.0.0.0/8, ::1)."""
    import ipaddress

    try:
        ipaddress.ip_network(text, strict=False)
        return True
    except ValueError:
        return False


def parses(url: str) -> bool:
    """True when the URL has a host and, if given, a port number (urllib reads both as a request would)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        return bool(parts.hostname) and (parts.port is None or parts.port > 0)
    except ValueError:  # "http://[::1" (an unclosed IPv6 bracket), "http://host:port" and the like
        return False


def is_zone(name: str) -> bool:
    from zoneinfo import ZoneInfo

    try:
        ZoneInfo(name)
        return True
    except (ValueError, OSError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        return False


def valid_window(text: str) -> bool:
    try:
        start, end = text.split("-")
        for part in (start, end):
            hours, minutes = part.strip().split(":")
            if not (0 <= int(hours) <= 24 and 0 <= int(minutes) < 60):
                return False
    except ValueError:
        return False
    return True
