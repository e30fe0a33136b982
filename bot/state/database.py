"""Connecting to the database: SQLAlchemy URLs (Heroku's postgres:// too), the SQLite file's folder, and every
driver failure turned into one StoreError line with the password masked."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Concatenate, ParamSpec, Protocol, TypeVar

from bot.core.errors import StoreError, StoreFull, StoreGone, clip
from bot.core.settings import Settings

if TYPE_CHECKING:  # sqlalchemy is imported when a store opens, not when this module is
    from sqlalchemy import Engine, RowMapping

T = TypeVar("T")
P = ParamSpec("P")


class Database(Protocol):
    """What `guard` and the ledgers use of a Store (bot.state.store imports them, so they cannot import it)."""

    engine: Engine
    where: str  # the URL with its password masked
    password: str

    def check_file(self) -> None: ...

    def _run(self, sql: str, **params: object) -> Sequence[RowMapping]: ...

    def _exec(self, sql: str, **params: object) -> None: ...


class Guarded(Protocol):
    """An object whose methods `guard` wraps: a Store (its own store), a ledger or the kept sessions holding one."""

    @property
    def store(self) -> Database: ...


G = TypeVar("G", bound=Guarded)


def normalise_url(url: str | None, sqlite_path: str) -> str:
    """A SQLAlchemy URL: Heroku's postgres:// and plain postgresql:// use psycopg 3; None is the SQLite file."""
    if not url:
        return f"sqlite:///{sqlite_path}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    if not url.startswith(("sqlite:", "postgresql+")):
        raise StoreError(f"DATABASE_URL names {url.split(':', 1)[0]!r}, which the bot does not support",
                         "supported: sqlite (unset DATABASE_URL, or sqlite:///PATH) and postgres:// or postgresql://")
    return url


def describe_database(url: str | None, settings: Settings) -> str:
    """Which database DATABASE_URL (or the SQLite file) names, password masked."""
    return safe_url(normalise_url(url, settings.store.sqlite_path))


def safe_url(url: str) -> str:
    """The URL as it may be shown: the password hidden."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "the database URL"


def make_folder(url: str) -> None:
    """Create the SQLite file's folder, so `store.sqlite_path = "data/bot.db"` works on a fresh machine."""
    from sqlalchemy.engine import make_url

    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def password_of(url: str) -> str:
    """The URL's password ("" when none), to mask it wherever a driver repeats it."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).password or ""
    except Exception:
        return ""


def reason(exc: BaseException, password: str) -> str:
    """The first line of the driver's message, at most 200 characters, with the password masked."""
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__]
    first = lines[0].replace(password, "***") if len(password) >= 3 else lines[0]
    return clip(first, 200)


def _full(exc: BaseException) -> bool:
    """True when the driver says the disk is full or a write failed at the file system (SQLite: SQLITE_FULL or
    SQLITE_IOERR, as a full disk or `ulimit -f` gives; PostgreSQL: disk_full, SQLSTATE 53100)."""
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (10, 13)  # SQLITE_IOERR, SQLITE_FULL (extended codes keep the primary in the low byte)
    if getattr(orig, "sqlstate", None) == "53100":
        return True
    message = str(orig or exc)
    return "database or disk is full" in message or "disk I/O error" in message


def watched_file(engine: Engine) -> tuple[Path | None, tuple[int, int] | None]:
    """The SQLite file an engine opened and its (device, inode), so that deleting or replacing it is noticed;
    (None, None) for any other database."""
    database = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
    if database and database != ":memory:" and not database.startswith("file:"):
        file = Path(database).expanduser().absolute()
        st = file.stat()
        return file, (st.st_dev, st.st_ino)
    return None, None


def check_same_file(file: Path | None, identity: tuple[int, int] | None) -> None:
    """StoreGone when the SQLite file (from watched_file) was deleted or replaced since."""
    if file is None:
        return
    try:
        st = file.stat()
        same = (st.st_dev, st.st_ino) == identity
    except OSError:
        same = False
    if not same:
        raise StoreGone(f"the database file {file} was deleted or replaced while the bot ran; stopping, so "
                        "that nothing is recorded into a file that is gone",
                        "restore it from a backup (it holds the ids of every post made) and start the bot again")


def guard(method: Callable[Concatenate[G, P], T]) -> Callable[Concatenate[G, P], T]:
    """Turn any database failure into one StoreError line (no password, no traceback)."""

    @functools.wraps(method)
    def wrapper(self: G, /, *args: P.args, **kwargs: P.kwargs) -> T:
        from sqlalchemy.exc import SQLAlchemyError

        store = self.store
        store.check_file()  # before any statement: a new connection would create a new, empty file
        try:
            return method(self, *args, **kwargs)
        except SQLAlchemyError as exc:
            # `from None`: the chained driver error would repeat the URL in a traceback
            if _full(exc):
                raise StoreFull(f"the database {store.where} cannot be written: {reason(exc, store.password)}",
                                "make room on the disk (or raise the file size limit); the bot retries on the next "
                                "poll and the entry loses no attempt") from None
            raise StoreError(f"database error on {store.where}: {reason(exc, store.password)}",
                             "check that the database is reachable; the bot retries on the next poll") from None

    return wrapper
