"""Settings: defaults < config/bot.toml (or the file in BOT_CONFIG) < environment; secrets from the environment only."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from urllib.parse import unquote, urlsplit

from bot.core import errors
from bot.core.errors import ConfigError
from bot.core.options import (
    BY_NAME,
    NETWORKS,
    OPTIONS,
    PUBLICATION_SECTIONS,
    SECRETS,
    SECTION_CLASSES,
    BlueskySettings,
    DaemonSettings,
    FeedSettings,
    ImageSettings,
    LinkedinSettings,
    LogSettings,
    MastodonSettings,
    OutputSettings,
    Publication,
    ReviewSettings,
    StoreSettings,
    ThreadSettings,
    ThreadsSettings,
    Value,
    WebSettings,
    WriterSettings,
    XSettings,
)
from bot.core.parsing.values import (
    is_network,
    is_zone,
    parse_value,
    parses,
    read_file,
    shown,
    strings,
    suggest,
    text_of,
    valid_window,
)

DEFAULT_CONFIG = Path("config") / "bot.toml"
WHOLE_ONLY = ("DATABASE_URL", "BLUESKY_HANDLE")  # secrets whose pieces are not secret
DEFAULT = "default"  # the implicit publication (BOT_FEED_URL) and its account (the plain credential variables)
_NAME = re.compile(r"[A-Za-z0-9_]{1,40}")


def per_account(name: str) -> bool:
    """True for a secret or setting an account has its own of (NAME__ACCOUNT): one of a network's."""
    return any(name.startswith(f"{n.upper()}_") or name.startswith(f"BOT_{n.upper()}_") for n in NETWORKS)


@dataclass(frozen=True)
class Secrets:
    """Credentials taken from the environment; never printed (repr shows only which are set)."""

    values: Mapping[str, str] = field(default_factory=dict)
    known: bool = field(default=False, repr=False, compare=False)  # True: every value is hidden already (an account's)

    def __post_init__(self) -> None:
        if self.known:
            return
        # From now on every message this process makes is redacted against them. A URL and a handle are hidden
        # whole only: their pieces ("postgresql://", ".bsky.social") are ordinary text.
        whole = {v for name, v in self.values.items() if name.partition("__")[0] in WHOLE_ONLY}
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

    def of_account(self, account: str) -> Secrets:
        """The secrets as `account` sees them: each network's plain name holding NAME__ACCOUNT's value (the default
        account: the plain ones), the install's own (HF_TOKEN, DATABASE_URL, ...) as they are."""
        if account == DEFAULT:
            return Secrets(MappingProxyType({k: v for k, v in self.values.items() if "__" not in k}), known=True)
        suffix = f"__{account.upper()}"
        mine = {k[: -len(suffix)]: v for k, v in self.values.items() if k.endswith(suffix)}
        return Secrets(MappingProxyType({**{k: v for k, v in self.values.items()
                                            if "__" not in k and not per_account(k)}, **mine}), known=True)

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
    declared: tuple[Publication, ...] = ()  # the [publications.NAME] tables
    publication: str = DEFAULT  # whose settings these are (Settings.of_publication)
    accounts: Mapping[str, str] = field(default_factory=dict)  # network -> account of that publication
    account_env: Mapping[str, str] = field(default_factory=dict)  # per-account settings (MASTODON_BASE_URL__ACME)
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

    def replace(self, **changes: object) -> Settings:
        """A copy with some options changed, given as section__key=value (for the CLI and tests)."""
        values = dict(self.values)
        sources = dict(self.sources)
        for name, value in changes.items():
            option = BY_NAME[name.replace("__", ".")]
            values[option.name] = parse_value(option, value, "command line")
            sources[option.name] = "command line"
        return self._with(values, sources)

    def _with(self, values: Mapping[str, Value], sources: Mapping[str, str], secrets: Secrets | None = None,
              publication: str | None = None, accounts: Mapping[str, str] | None = None) -> Settings:
        return Settings(MappingProxyType(dict(values)), MappingProxyType(dict(sources)), secrets or self.secrets,
                        self.config_file, self.declared, self.publication if publication is None else publication,
                        self.accounts if accounts is None else accounts, self.account_env)

    @property
    def publications(self) -> tuple[Publication, ...]:
        """Every publication: the declared ones, after the implicit one (the feeds none of them names) when there are
        such feeds or no declared one."""
        named = {f for p in self.declared for f in p.feeds}
        own = tuple(f for f in self.feed.urls if f not in named)
        implicit = Publication(DEFAULT, own, tuple(self.networks), ())
        return ((implicit,) if own or not self.declared else ()) + self.declared

    def of_publication(self, name: str) -> Settings:
        """The settings of one publication: these with its overrides, feeds, networks and accounts."""
        found = next((p for p in self.publications if p.name == name), None)
        if found is None:
            raise ConfigError(f"no publication named {name!r}", "known: " + ", ".join(p.name for p in self.publications))
        values, sources = dict(self.values), dict(self.sources)
        for key, value in found.overrides:
            values[key], sources[key] = value, f"publications.{name}"
        values["feed.urls"], values["networks"] = list(found.feeds), list(found.networks or self.networks)
        accounts = dict(found.accounts) if found.name != DEFAULT else {}
        return self._with(values, sources, publication=name, accounts=accounts)

    def for_feed(self, url: str) -> Settings:
        """The settings of the publication whose feed `url` is (the implicit one's for any other feed)."""
        owner = next((p.name for p in self.declared if url in p.feeds), None)
        return self.of_publication(owner) if owner and owner != self.publication else self

    def account(self, network: str) -> str:
        """The account this publication posts to `network` with (the default: the plain variables)."""
        return self.accounts.get(network, self.publication if self.publication != DEFAULT and self.declared else DEFAULT)

    def for_account(self, network: str) -> Settings:
        """The settings a network's publisher is made from: the account's credentials and its own settings."""
        account = self.account(network)
        if account == DEFAULT:
            return self if not self.account_env and "__" not in "".join(self.secrets.values) else \
                self._with(self.values, self.sources, self.secrets.of_account(DEFAULT))
        values, sources = dict(self.values), dict(self.sources)
        for option in OPTIONS:
            raw = self.account_env.get(f"{option.env}__{account.upper()}")
            if option.section == network and raw is not None:
                values[option.name], sources[option.name] = parse_value(option, raw, f"{option.env}__{account.upper()}"), option.env
            elif option.section == network and option.key.endswith("_file") and values[option.name]:
                # A file a network keeps a token or session in is the account's own: never another account's token.
                path = Path(str(values[option.name]))
                values[option.name] = str(path.with_name(f"{path.stem}-{account.lower()}{path.suffix}"))
        return self._with(values, sources, self.secrets.of_account(account))


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
    tables: dict[str, object] = {}
    if config_file is not None:
        for name, raw in read_file(config_file).items():
            if name == "publications":
                tables = raw if isinstance(raw, dict) else {}
                continue
            values[name] = parse_value(BY_NAME[name], raw, str(config_file))
            sources[name] = str(config_file)
    for option in OPTIONS:
        raw = env.get(option.env)
        if raw is not None and (raw.strip() or option.type in ("str", "list")):
            values[option.name] = parse_value(option, raw, option.env)
            sources[option.name] = option.env
    _check_together(values)
    declared = tuple(_publication(name, body, values, str(config_file)) for name, body in tables.items())
    _check_publications(declared, values)
    secrets = Secrets(MappingProxyType({k: v.strip() for k, v in env.items() if v.strip()
                                        and k.partition("__")[0] in SECRETS and (k in SECRETS or per_account(k))}))
    envs = {o.env: o for o in OPTIONS if o.section in NETWORKS}
    account_env = {k: v for k, v in env.items() if "__" in k and k.partition("__")[0] in envs}
    for name, raw in account_env.items():  # a bad per-account setting is found now, not at its first post
        parse_value(envs[name.partition("__")[0]], raw, name)
    base = Settings(MappingProxyType(values), MappingProxyType(sources), secrets, config_file, declared,
                    account_env=MappingProxyType(account_env))
    return base


def _publication(name: str, body: object, base: Mapping[str, Value], where: str) -> Publication:
    """One [publications.NAME] table, checked; ConfigError naming the publication and the key."""
    what = f"publications.{name}"
    if not _NAME.fullmatch(name) or not isinstance(body, dict):
        raise ConfigError(f"{where}: [{what}] is not a publication table with a name of letters, digits and _",
                          "write [publications.acme] with feeds = [...] and networks = [...]")
    feeds = parse_value(BY_NAME["feed.urls"], body.get("feeds", []), f"{where}, {what}.feeds")
    networks = parse_value(BY_NAME["networks"], body.get("networks", base["networks"]), f"{where}, {what}.networks")
    if not feeds:
        raise ConfigError(f"{where}: {what} has no feeds", f"add feeds = [\"https://NAME.substack.com/feed\"] to [{what}]")
    nets = [n.lower() for n in strings(networks)]
    unknown = [n for n in nets if n not in NETWORKS]
    if unknown or not nets:
        raise ConfigError(f"{where}: {what}.networks names {unknown or 'nothing'}", f"allowed: {', '.join(NETWORKS)}")
    accounts = body.get("accounts", {})
    if not isinstance(accounts, dict) or any(k not in NETWORKS or not isinstance(v, str) or not _NAME.fullmatch(v)
                                             for k, v in accounts.items()):
        raise ConfigError(f"{where}: {what}.accounts is {shown(accounts, True)}",
                          'write accounts = {x = "ACME", bluesky = "ACME"}: a network, then an account name of letters, digits and _')
    overrides: list[tuple[str, Value]] = []
    for section, table in body.items():
        if section in ("feeds", "networks", "accounts"):
            continue
        if section not in PUBLICATION_SECTIONS or not isinstance(table, dict):
            raise ConfigError(f"{where}: unknown key {what}.{section}",
                              f"a publication has feeds, networks, accounts and the tables {', '.join(PUBLICATION_SECTIONS)}")
        for key, raw in table.items():
            option = BY_NAME.get(f"{section}.{key}")
            if option is None:
                raise ConfigError(f"{where}: unknown setting {what}.{section}.{key}", suggest(f"{section}.{key}", BY_NAME, "settings"))
            overrides.append((option.name, parse_value(option, raw, f"{where}, {what}")))
    try:
        _check_together({**base, **dict(overrides), "networks": nets})
    except ConfigError as exc:
        raise ConfigError(f"{where}: {what}: {exc.message}", exc.hint) from None
    return Publication(name, tuple(strings(feeds)), tuple(dict.fromkeys(nets)),
                       tuple((k, str(v)) for k, v in accounts.items()), tuple(overrides))


def _check_publications(declared: tuple[Publication, ...], values: dict[str, Value]) -> None:
    """A feed belongs to one publication; the declared feeds are watched beside BOT_FEED_URL's."""
    owner: dict[str, str] = {}
    for p in declared:
        for feed in p.feeds:
            if feed in owner:
                raise ConfigError(f"feed {feed} is in publications {owner[feed]} and {p.name}", "a feed belongs to one publication")
            owner[feed] = p.name
    values["feed.urls"] = list(dict.fromkeys([*strings(values["feed.urls"]), *owner]))


def _check_together(values: dict[str, Value]) -> None:
    allowed = ("hf", "gradio", "cover", "card", "none")
    for source in strings(values["image.chain"]):
        if source not in allowed:
            raise ConfigError(f"image.chain names {source!r}", f"allowed: {', '.join(allowed)}")
    window = text_of(values["daemon.window"])
    if window and not valid_window(window):
        raise ConfigError(f"daemon.window is {window!r}", "write it as HH:MM-HH:MM, e.g. 08:00-22:00, or leave it empty")
    zone = text_of(values["daemon.timezone"])
    if zone and not is_zone(zone):
        raise ConfigError(f"daemon.timezone is {zone!r}", "give an IANA time zone such as Europe/Paris, or leave it empty for UTC")
    networks = strings(values["networks"])
    unknown = [n for n in networks if n.lower() not in NETWORKS]
    if unknown or not networks:
        raise ConfigError(f"networks names {', '.join(map(repr, unknown))}" if unknown else "networks is empty",
                          f"allowed: {', '.join(NETWORKS)} (comma-separated in BOT_NETWORKS)")
    values["networks"] = list(dict.fromkeys(n.lower() for n in networks))
    for proxy in strings(values["web.trusted_proxies"]):
        if proxy != "*" and not is_network(proxy):
            raise ConfigError(f"web.trusted_proxies names {proxy!r}", "give IP addresses or networks such as "
                              "10.0.0.0/8, or * for any peer (Heroku), comma-separated in BOT_WEB_TRUSTED_PROXIES")
    for name in ("writer.base_url", "image.base_url", "x.base_url", "bluesky.service", "mastodon.base_url", "linkedin.base_url",
                 "threads.base_url"):
        url = text_of(values[name])
        if url and (not url.startswith(("http://", "https://")) or not parses(url)):
            raise ConfigError(f"{name} is {url!r}", "give a full http:// or https:// URL")


