"""Type stubs for monomig's Rust core, ``monomig._native``."""

import os
from collections.abc import Sequence
from types import TracebackType
from typing import Literal

__version__: str

class MonomigError(Exception): ...
class ConfigError(MonomigError): ...
class RevisionError(MonomigError): ...
class ScriptError(RevisionError): ...

class MultipleHeads(RevisionError):
    heads: tuple[str, ...]
    argument: str | None

class ResolutionError(RevisionError):
    argument: str

class RangeNotAncestorError(RevisionError):
    lower: str | None
    upper: str | None

class CycleDetected(RevisionError):
    revisions: list[str]

class DependencyCycleDetected(CycleDetected): ...
class LoopDetected(CycleDetected): ...
class DependencyLoopDetected(DependencyCycleDetected): ...
class DatabaseError(MonomigError):
    # Set by ping(): unreachable, unknown_host, auth_failed, database_absent, tls, timeout,
    # query or other.
    kind: str

class LockError(MonomigError): ...

# --- configuration (alembic.ini / pyproject.toml) ---

class Service:
    """One ini section as ``alembic -n NAME`` sees it."""

    @property
    def name(self) -> str: ...
    @property
    def script_location(self) -> str: ...
    @property
    def version_locations(self) -> list[str]: ...
    @property
    def options(self) -> dict[str, str]: ...
    @property
    def recursive_version_locations(self) -> bool: ...
    @property
    def sourceless(self) -> bool: ...
    @property
    def prepend_sys_path(self) -> list[str]: ...
    @property
    def file_template(self) -> str: ...
    @property
    def truncate_slug_length(self) -> int | None: ...
    @property
    def effective_truncate_slug_length(self) -> int: ...
    @property
    def sqlalchemy_url(self) -> str | None: ...
    @property
    def version_table(self) -> str: ...
    @property
    def version_table_schema(self) -> str | None: ...
    @property
    def post_write_hooks(self) -> list[tuple[str, dict[str, str]]]: ...
    @property
    def warnings(self) -> list[str]: ...

class Project:
    """A monorepo's Alembic configuration and its services."""

    @property
    def config_file(self) -> str: ...
    @property
    def toml_file(self) -> str | None: ...
    @property
    def services(self) -> dict[str, Service]: ...
    @property
    def sections(self) -> list[str]: ...
    @property
    def warnings(self) -> list[str]: ...
    def section(self, name: str) -> Service: ...

def load_project(
    config: str | os.PathLike[str] | None = None,
    toml: str | os.PathLike[str] | None = None,
    *,
    allow_missing_ini: bool = False,
    find_services: bool = True,
) -> Project: ...
def config_paths(configs: list[str], alembic_config_env: str | None = None) -> tuple[str, str]: ...
def mask_password(text: str) -> str: ...

class Ini:
    """An ini file as ``configparser.ConfigParser(defaults)`` reads it.

    Its errors (and those of read_ini / parse_ini) are ConfigError with the extra
    attributes ``kind`` (the configparser exception Python raises for the same
    input, e.g. "DuplicateSectionError"), ``lineno``, ``section`` and ``option``.
    """

    def sections(self) -> list[str]: ...
    def has_section(self, section: str) -> bool: ...
    def has_option(self, section: str, option: str) -> bool: ...
    def items(self, section: str, raw: bool = False) -> list[tuple[str, str]]: ...
    def get(self, section: str, option: str) -> str | None: ...
    def to_dict(self) -> dict[str, dict[str, str] | ConfigError]: ...

def read_ini(path: str | os.PathLike[str], defaults: list[tuple[str, str]] | None = None) -> Ini: ...
def parse_ini(text: str, source: str = "<string>", defaults: list[tuple[str, str]] | None = None) -> Ini: ...

# --- databases (src/bindings/db.rs) -------------------------------------------------

_Path = str | os.PathLike[str]

class DatabaseURL:
    """A SQLAlchemy URL parsed exactly as ``sqlalchemy.engine.make_url`` parses it.

    ``masked`` is SQLAlchemy's ``render_as_string()``; ``str()``/``repr()`` also mask
    secret query options such as ``?password=``.
    """

    def __init__(self, url: str) -> None: ...
    @property
    def drivername(self) -> str: ...
    @property
    def username(self) -> str | None: ...
    @property
    def password(self) -> str | None: ...
    @property
    def host(self) -> str | None: ...
    @property
    def port(self) -> int | None: ...
    @property
    def database(self) -> str | None: ...
    @property
    def query(self) -> dict[str, str | tuple[str, ...]]: ...
    @property
    def driver(self) -> str | None: ...
    @property
    def masked(self) -> str: ...
    def get_backend_name(self) -> str: ...
    def render_as_string(self, hide_password: bool = True) -> str: ...

def parse_url(url: str) -> DatabaseURL:
    """Parse as ``make_url``; raises ConfigError where SQLAlchemy raises."""

def connect_info(url: str, base_dir: _Path | None = None) -> dict[str, str]:
    """What monomig connects to for ``url`` (no password): backend, host or socket or
    path, port, username, database, ssl_mode, ... plus ``masked``."""

def ping(url: str, connect_timeout: float = 5.0, base_dir: _Path | None = None) -> None:
    """Connect once and close; raises DatabaseError (with ``kind``) or ConfigError."""

class VersionRead:
    """What one version table said (see ``read_versions``)."""

    @property
    def url(self) -> str: ...
    @property
    def version_table(self) -> str: ...
    @property
    def version_table_schema(self) -> str | None: ...
    @property
    def state(self) -> Literal["present", "no_table", "no_database", "error"]: ...
    @property
    def rows(self) -> list[str] | None: ...
    @property
    def error(self) -> str | None: ...
    @property
    def error_kind(
        self,
    ) -> (
        Literal["config", "unreachable", "unknown_host", "auth_failed", "tls", "timeout", "query", "other"] | None
    ): ...

_VersionTarget = (
    tuple[str]
    | tuple[str, str | None]
    | tuple[str, str | None, str | None]
    | tuple[str, str | None, str | None, _Path | None]
)

def read_versions(
    targets: Sequence[_VersionTarget],
    concurrency: int = 8,
    connect_timeout: float = 5.0,
    base_dir: _Path | None = None,
) -> list[VersionRead]:
    """Read Alembic version tables: ``(url, version_table, version_table_schema[, base_dir])``
    per target, one connection per distinct database, at most ``concurrency`` at once;
    answers in order. The GIL is released while waiting; Ctrl-C interrupts."""

class MigrationLock:
    """A per-database migration lock on its own connection (PostgreSQL advisory lock,
    MySQL GET_LOCK) or lock file (SQLite: ``<db>.monomig-lock``).

    ``with MigrationLock(url, "monomig:alembic_version", timeout=30): ...``
    """

    def __init__(
        self,
        url: str,
        name: str,
        timeout: float = 30.0,
        *,
        base_dir: _Path | None = None,
        service: str | None = None,
        connect_timeout: float = 5.0,
    ) -> None: ...
    def acquire(self) -> None: ...
    def release(self) -> None: ...
    def __enter__(self) -> MigrationLock: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool: ...
    @property
    def held(self) -> bool: ...
    @property
    def name(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def location(self) -> str: ...

# Revision files (monomig.scripts): read without importing them.

class RevisionEntry:
    """One revision file as Alembic would load it.

    When ``needs_import`` is true the values could not be read from the text
    (``reason`` says why): only ``path`` is meaningful and the file must be
    imported as Alembic imports it.
    """

    @property
    def path(self) -> str: ...
    @property
    def needs_import(self) -> bool: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def revision(self) -> str | None: ...
    @property
    def revision_from_filename(self) -> bool: ...
    @property
    def down_revision(self) -> str | tuple[str, ...] | None: ...
    @property
    def branch_labels(self) -> tuple[str, ...]: ...
    @property
    def depends_on(self) -> str | tuple[str, ...] | None: ...
    @property
    def module_doc(self) -> str | None: ...
    @property
    def doc(self) -> str | None: ...
    @property
    def longdoc(self) -> str | None: ...

def scan_revisions(
    version_locations: list[str | os.PathLike[str]],
    recursive: bool = False,
    sourceless: bool = False,
) -> tuple[list[RevisionEntry], list[str]]: ...
def read_revision_file(path: str | os.PathLike[str]) -> RevisionEntry: ...
def discover_revision_files(
    version_locations: list[str | os.PathLike[str]],
    recursive: bool = False,
    sourceless: bool = False,
) -> tuple[list[str], list[str]]: ...
