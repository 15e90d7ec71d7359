"""Where the store lives and who is acting: resolved from options, environment and defaults."""

from __future__ import annotations

import getpass
import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from wegings.errors import InvalidInput
from wegings.text import clean_text, quote, reject_invisible

_ACTOR = re.compile(r"^[^\W_][\w.@' -]*$")

APP_NAME = "wegings"
DB_FILENAME = "wegings.db"


SERVER_DRIVER = "postgresql+psycopg"
"""The one server backend: PostgreSQL through psycopg 3 (`pip install 'wegings[postgres]'`)."""


@dataclass(frozen=True)
class Location:
    """A store: a SQLite file path, or the URL of a PostgreSQL database.

    `notify` is where the store's remarks for the person go (the CLI: stderr), e.g. that a
    standby was read; the core never prints.
    """

    path: Path | None = None
    url: str | None = None
    is_default: bool = False
    notify: Callable[[str], None] | None = field(default=None, compare=False, repr=False)

    @property
    def is_server(self) -> bool:
        """Whether this is a PostgreSQL server rather than a SQLite file."""
        return self.url is not None

    def describe(self) -> str:
        """How the location reads in messages: the path, or the URL without its password."""
        if self.path is not None:
            return str(self.path)
        from sqlalchemy.engine import make_url

        assert self.url is not None
        # A socket directory reads as itself (host=/run/postgresql), not percent-encoded.
        return unquote(make_url(self.url).render_as_string(hide_password=True))


def default_db_path() -> Path:
    """The database file in the user data directory."""
    import platformdirs

    return platformdirs.user_data_path(APP_NAME) / DB_FILENAME


def _url_location(url: str) -> Location:
    """A store from a SQLAlchemy URL; a SQLite file URL is handled as the file itself."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InvalidInput(
            "WEGINGS_DATABASE_URL is not a SQLAlchemy URL; use e.g. "
            "postgresql+psycopg://user@host/wegings."
        ) from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:") or database.startswith("file::memory:"):
            raise InvalidInput(
                "WEGINGS_DATABASE_URL names an in-memory database, which keeps nothing; "
                "give a file."
            )
        # The file gets the same care as --db: owner-only mode, WAL, read-only opens.
        return Location(path=Path(database).expanduser().absolute())
    if backend not in ("postgresql", "postgres"):
        raise InvalidInput(
            f"WEGINGS_DATABASE_URL names a {backend} database; wegings keeps its records in a "
            f"SQLite file or on PostgreSQL ({SERVER_DRIVER}://user@host/wegings)."
        )
    if driver not in ("", "psycopg"):
        raise InvalidInput(
            f"WEGINGS_DATABASE_URL asks for the {driver} driver; wegings speaks to PostgreSQL "
            f"through psycopg 3: write {SERVER_DRIVER}://..."
        )
    # postgresql:// as psql and libpq write it means the one driver wegings speaks.
    url = parsed.set(drivername=SERVER_DRIVER).render_as_string(hide_password=False)
    return Location(url=url)


def resolve_location(db_option: str | None) -> Location:
    """`--db`, else WEGINGS_DATABASE_URL, else WEGINGS_DB, else the user data directory."""
    if db_option is not None:
        if not db_option.strip():
            raise InvalidInput("--db needs a file name.")
        return Location(path=Path(db_option).expanduser().absolute())
    url = os.environ.get("WEGINGS_DATABASE_URL", "").strip()
    if url:
        return _url_location(url)
    env_path = os.environ.get("WEGINGS_DB", "").strip()
    if env_path:
        return Location(path=Path(env_path).expanduser().absolute())
    return Location(path=default_db_path(), is_default=True)


def resolve_actor(as_option: str | None) -> str:
    """`--as`, else WEGINGS_USER, else the login name: who is recorded in the audit trail.

    An empty or blank `--as` or WEGINGS_USER is refused: it was given, so it is a mistake, and
    quietly acting as the login name would record someone the user did not name.
    """
    env_user = os.environ.get("WEGINGS_USER")
    if as_option is not None:
        candidate, source = as_option, "--as"
    elif env_user is not None:
        candidate, source = env_user, "WEGINGS_USER"
    else:
        candidate, source = "", ""
    if source and not candidate.strip():
        raise InvalidInput(f"{source} is empty: give the name of who is acting.")
    if not candidate:
        try:
            candidate = getpass.getuser()
        except (KeyError, OSError):
            raise InvalidInput(
                "Cannot tell who you are: give --as NAME or set WEGINGS_USER."
            ) from None
    name = unicodedata.normalize("NFC", clean_text(candidate, field="Actor (--as)", max_length=100))
    reject_invisible(name, field="Actor (--as)")
    if not _ACTOR.match(name):
        raise InvalidInput(
            f"Actor (--as) {quote(name)} may hold letters, digits, spaces and . _ @ ' - only."
        )
    return name
