"""Opening the ledger database and migrating it.

SQLite (the embedded default) runs in WAL mode so the engine writes while dashboards and
notebooks read. PostgreSQL is selected by URL. Errors at open time are translated once here
into :class:`~workbench.errors.StoreError` with what to do; nothing is written before the
schema version is known to match, so a database from newer code is never touched.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from workbench.config import Settings
from workbench.errors import SchemaVersionError, StoreError

__all__ = ["SchemaStatus", "Store", "open_store"]

_MIGRATIONS = Path(__file__).with_name("migrations")


@dataclass(frozen=True, slots=True, kw_only=True)
class SchemaStatus:
    """Where a database's schema stands against this code.

    Attributes:
        current: the database's revision, None when never migrated.
        head: the newest revision this code knows.
        backend: ``sqlite`` or ``postgresql``.
        timescaledb: True when candles is a TimescaleDB hypertable.
    """

    current: str | None
    head: str
    backend: str
    timescaledb: bool

    @property
    def is_current(self) -> bool:
        """True when the database is at this code's head."""
        return self.current == self.head


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    return cfg


def _one_line(err: object) -> str:
    return " ".join(str(err).split())


def _redacted(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable url>"


class Store:
    """The ledger database. Cheap to create; share one per process.

    Attributes:
        engine: the SQLAlchemy engine.
        url: the URL with any password hidden.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.url = engine.url.render_as_string(hide_password=True)

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    def status(self) -> SchemaStatus:
        """Read the schema revision without changing anything.

        Raises:
            StoreError: the database cannot be reached.
        """
        head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
        assert head is not None
        try:
            with self.engine.connect() as conn:
                current = MigrationContext.configure(conn).get_current_revision()
                hyper = False
                if self.backend == "postgresql" and current is not None:
                    hyper = bool(
                        conn.exec_driver_sql(
                            "SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'"
                        ).scalar()
                    ) and bool(
                        conn.exec_driver_sql(
                            "SELECT 1 FROM timescaledb_information.hypertables "
                            "WHERE hypertable_name = 'candles'"
                        ).scalar()
                    )
        except OperationalError as exc:
            raise StoreError(
                f"Cannot reach the database at {self.url}: {_one_line(exc.orig)}. Check that the "
                "server runs and WORKBENCH_DATABASE__URL is right."
            ) from None
        return SchemaStatus(current=current, head=head, backend=self.backend, timescaledb=hyper)

    def check_version(self) -> SchemaStatus:
        """Refuse a database whose revision this code does not know (made by newer code).

        Raises:
            SchemaVersionError: the database is at an unknown (newer) revision.
        """
        status = self.status()
        script = ScriptDirectory.from_config(_alembic_config())
        known = {rev.revision for rev in script.walk_revisions()}
        if status.current is not None and status.current not in known:
            raise SchemaVersionError(
                f"The database at {self.url} is at schema revision {status.current!r}, which this "
                f"version of the workbench does not know (its newest is {status.head!r}). Upgrade "
                "the workbench; nothing was changed in the database."
            )
        return status

    def upgrade(self) -> SchemaStatus:
        """Migrate to the newest schema (idempotent).

        Raises:
            SchemaVersionError: the database is newer than this code.
            StoreError: the database cannot be reached or written.
        """
        self.check_version()
        cfg = _alembic_config()
        try:
            with self.engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except OperationalError as exc:
            raise StoreError(
                f"Cannot migrate the database at {self.url}: {_one_line(exc.orig)}. Check that "
                "the data directory is writable and the server accepts writes."
            ) from None
        return self.status()

    def require_current(self) -> None:
        """Raise unless the schema is at head, telling the user to run ``workbench db upgrade``."""
        status = self.check_version()
        if not status.is_current:
            raise SchemaVersionError(
                f"The database at {self.url} is at revision {status.current!r}, not "
                f"{status.head!r}. Run `workbench db upgrade`."
            )

    def table_names(self) -> list[str]:
        """Tables present in the database."""
        return sorted(inspect(self.engine).get_table_names())

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def open_store(target: Settings | str | None = None, *, echo: bool = False) -> Store:
    """Open the ledger store from settings or a URL (default: SQLite in ``data/``).

    Does not migrate; call :meth:`Store.upgrade` (or ``workbench db upgrade``).

    Raises:
        StoreError: malformed URL, missing driver, or a data directory that cannot be written.
    """
    if isinstance(target, Settings):
        url, echo = target.database_url, echo or target.database.echo
    elif target is None:
        url = Settings().database_url
    else:
        url = target
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(
            f"Database URL {_redacted(url)!r} is malformed; expected e.g. "
            "sqlite:///data/workbench.db or postgresql+psycopg://user@127.0.0.1:5432/workbench."
        ) from None
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if db and db != ":memory:":
            folder = Path(db).expanduser().resolve().parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"Cannot create the data directory {folder}: {exc.strerror}. Choose a writable "
                    "WORKBENCH_DATA__DIR or fix its permissions."
                ) from None
            if not os.access(folder, os.W_OK):
                raise StoreError(
                    f"The data directory {folder} is read-only, so the SQLite ledger cannot be "
                    "written. Choose a writable WORKBENCH_DATA__DIR or fix its permissions; "
                    "nothing was changed."
                )
        kwargs["connect_args"] = {"timeout": 10, "check_same_thread": False}
    else:
        kwargs["pool_pre_ping"] = True
        kwargs["connect_args"] = {"connect_timeout": 5}
        if os.environ.get("WORKBENCH_DB_NULLPOOL"):
            kwargs["poolclass"] = NullPool
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, ImportError, SQLAlchemyError) as exc:
        raise StoreError(f"Cannot open database {_redacted(url)}: {exc}.") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return Store(engine)
