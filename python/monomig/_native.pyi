"""Type stubs for monomig's Rust core, ``monomig._native``."""

import os
from collections.abc import Callable, Iterable, Sequence
from types import TracebackType
from typing import Any, Literal, TypedDict, final

__all__ = [
    "CommandError",
    "ConfigError",
    "CycleDetected",
    "DatabaseError",
    "DatabaseURL",
    "DependencyCycleDetected",
    "DependencyLoopDetected",
    "Ini",
    "LockError",
    "LoopDetected",
    "MigrationLock",
    "MigrationStep",
    "MonomigError",
    "MultipleHeads",
    "Project",
    "RangeNotAncestorError",
    "ResolutionError",
    "RevisionEntry",
    "RevisionError",
    "RevisionGraph",
    "SchemaSnapshot",
    "ScriptError",
    "Service",
    "VersionRead",
    "__version__",
    "bench_scan",
    "config_paths",
    "connect_info",
    "database_identity",
    "discover_revision_files",
    "fleet_check",
    "fleet_status",
    "import_statements",
    "last_scan_cache_stats",
    "ledger_last_steps",
    "lint_rules",
    "lint_service",
    "list_tenant_names",
    "load_project",
    "mask_password",
    "parse_ini",
    "parse_url",
    "ping",
    "query_tenants",
    "read_ini",
    "read_revision_file",
    "read_versions",
    "render_graphs",
    "report_branches",
    "report_heads",
    "report_history",
    "report_show",
    "scan_cache_dir",
    "scan_revisions",
    "schema_snapshot",
    "shards_of",
    "sum_check",
    "sum_entries",
    "sum_file_hash",
    "sum_write",
    "tenant_database_url",
    "tenant_name_error",
]

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
class CommandError(RevisionError): ...

class DatabaseError(MonomigError):
    # Set by ping(): unreachable, unknown_host, auth_failed, database_absent, tls, timeout,
    # query or other.
    kind: str

class LockError(MonomigError): ...

# --- configuration (alembic.ini / pyproject.toml) ---

@final
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

@final
class Project:
    """A monorepo's Alembic configuration and its services."""

    @property
    def config_file(self) -> str: ...
    @property
    def alembic_version(self) -> str: ...
    @property
    def toml_file(self) -> str | None: ...
    @property
    def services(self) -> dict[str, Service]: ...
    @property
    def sections(self) -> list[str]: ...
    @property
    def warnings(self) -> list[str]: ...
    @property
    def not_services(self) -> list[tuple[str, str]]: ...
    def section(self, name: str) -> Service: ...

def load_project(
    config: str | os.PathLike[str] | None = None,
    toml: str | os.PathLike[str] | None = None,
    *,
    allow_missing_ini: bool = False,
    find_services: bool = True,
    alembic_version: str | None = None,
) -> Project: ...
def config_paths(
    configs: list[str], alembic_config_env: str | None = None, *, alembic_version: str | None = None
) -> tuple[str, str]: ...
def mask_password(text: str) -> str: ...

@final
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

@final
class DatabaseURL:
    """A SQLAlchemy URL parsed exactly as ``sqlalchemy.engine.make_url`` parses it.

    ``masked`` is SQLAlchemy's ``render_as_string()``; ``str()``/``repr()`` also mask
    secret query options such as ``?password=``.
    """

    def __new__(cls, url: str) -> DatabaseURL: ...
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

def database_identity(url: str, base_dir: _Path | None = None) -> str:
    """A password-free key of the database ``url`` reaches: backend, host, port and
    database name, or the SQLite file's resolved path (relative paths against
    ``base_dir``, default the working directory). Equal keys: the same database."""

def ping(url: str, connect_timeout: float = 5.0, base_dir: _Path | None = None) -> None:
    """Connect once and close; raises DatabaseError (with ``kind``) or ConfigError."""

@final
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
    ) -> Literal["config", "unreachable", "unknown_host", "auth_failed", "tls", "timeout", "query", "other"] | None: ...

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

@final
class MigrationLock:
    """A per-database migration lock on its own connection (PostgreSQL advisory lock,
    MySQL GET_LOCK) or lock file (SQLite: ``<db>.monomig-lock``).

    ``with MigrationLock(url, "monomig:alembic_version", timeout=30): ...``
    """

    def __new__(
        cls,
        url: str,
        name: str,
        timeout: float = 30.0,
        *,
        base_dir: _Path | None = None,
        service: str | None = None,
        connect_timeout: float = 5.0,
    ) -> MigrationLock: ...
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

@final
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
    @property
    def module_imports(self) -> tuple[str, ...]:
        """The modules the file imports in code that runs while Python imports it
        (module level and the bodies of module-level ``try``/``if``/``with``/``for``
        statements; not ``if TYPE_CHECKING:`` bodies, not function bodies), in
        order, without repeats, as absolute dotted names: ``a.b`` for ``import a.b``
        and ``import a.b as c``, ``x`` for ``from x import y``. A relative import is
        resolved from the file's package (its folders holding ``__init__.py``), or
        kept as written (``.labels``) when the file is not in one. Set for files that
        need import too (empty when the file is not Python source, e.g. bytecode)."""

def scan_revisions(
    version_locations: Sequence[str | os.PathLike[str]],
    recursive: bool = False,
    sourceless: bool = False,
    cache: bool = True,
    search_path: Sequence[str | os.PathLike[str]] | None = None,
) -> tuple[list[RevisionEntry], list[str]]:
    """With ``cache`` (the default), unchanged files come from the scan cache
    (``MONOMIG_CACHE_DIR``; ``MONOMIG_CACHE=0`` turns it off); the answer is the same.
    ``search_path`` (absolute folders: the section's ``prepend_sys_path``): values built from
    names imported from a module found there (``labels.EXPAND``), bound there to a literal,
    are read from that module instead of needing import."""

def last_scan_cache_stats() -> dict[str, int | bool]:
    """What the scan cache did in this process's last ``scan_revisions``:
    ``hits``, ``reads`` and ``written`` (for diagnostics and tests)."""

def scan_cache_dir() -> str | None:
    """The scan cache's folder in this environment, or None when it is off."""

def import_statements(path: str | os.PathLike[str]) -> list[tuple[str, list[str]]]:
    """The absolute imports of a revision file that run at import, in order: ``(module,
    names)``, the names of ``from module import names`` (empty for ``import module``)."""

def read_revision_file(
    path: str | os.PathLike[str], search_path: Sequence[str | os.PathLike[str]] | None = None
) -> RevisionEntry: ...
def discover_revision_files(
    version_locations: Sequence[str | os.PathLike[str]],
    recursive: bool = False,
    sourceless: bool = False,
) -> tuple[list[str], list[str]]: ...

# --- revision graph (Alembic's RevisionMap semantics) -------------------------

_Ident = str | tuple[Any, ...] | list[Any] | set[Any] | frozenset[Any] | None
_Revs = str | Sequence[str] | None
_Entry = (
    tuple[str, _Revs, _Revs, _Revs]
    | tuple[str, _Revs, _Revs, _Revs, str | None]
    | RevisionEntry  # read statically (needs_import False)
)
_SetOrder = Callable[..., Sequence[Any]]
_VersionOp = tuple[Literal["insert"], str] | tuple[Literal["delete"], str] | tuple[Literal["update"], str, str]

class RevisionInfo(TypedDict):
    index: int
    revision: str
    down_revision: str | tuple[str, ...] | None
    dependencies: str | tuple[str, ...] | None
    orig_branch_labels: tuple[str, ...]
    branch_labels: tuple[str, ...]
    nextrev: tuple[str, ...]
    all_nextrev: tuple[str, ...]
    resolved_dependencies: tuple[str, ...]
    normalized_resolved_dependencies: tuple[str, ...]
    versioned_down_revisions: tuple[str, ...]
    all_down_revisions: tuple[str, ...]
    normalized_down_revisions: tuple[str, ...]
    is_head: bool
    is_real_head: bool
    is_base: bool
    is_real_base: bool
    is_branch_point: bool
    is_real_branch_point: bool
    is_merge_point: bool
    path: str | None

@final
class MigrationStep:
    """Alembic's ``RevisionStep`` or ``StampStep``."""

    @staticmethod
    def stamp(from_: Sequence[str], to_: Sequence[str], is_upgrade: bool, branch_move: bool) -> MigrationStep: ...
    @property
    def is_stamp(self) -> bool: ...
    @property
    def is_upgrade(self) -> bool: ...
    @property
    def is_downgrade(self) -> bool: ...
    @property
    def revision(self) -> str | None: ...
    @property
    def index(self) -> int | None: ...
    @property
    def branch_move(self) -> bool: ...
    @property
    def is_merge_point(self) -> bool: ...
    @property
    def is_branch_point(self) -> bool: ...
    @property
    def from_revisions(self) -> tuple[str, ...]: ...
    @property
    def to_revisions(self) -> tuple[str, ...]: ...
    @property
    def from_revisions_no_deps(self) -> tuple[str, ...]: ...
    @property
    def to_revisions_no_deps(self) -> tuple[str, ...]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class RevisionGraph:
    """A revision graph with the semantics of the installed Alembic's ``RevisionMap`` (1.13 to 1.20).

    Revisions are named by id; with ``indices=True`` by load position. Alembic's
    ``"base"`` marker is returned as ``"base"``, its ``None`` as ``None``.
    """

    def __new__(cls, revisions: Iterable[_Entry], *, set_order: _SetOrder | None = None) -> RevisionGraph: ...
    def __len__(self) -> int: ...
    @property
    def warnings(self) -> list[str]: ...
    @property
    def heads(self) -> tuple[str, ...]: ...
    @property
    def bases(self) -> tuple[str, ...]: ...
    @property
    def real_heads(self) -> tuple[str, ...]: ...
    @property
    def real_bases(self) -> tuple[str, ...]: ...
    def head_indices(self) -> list[int]: ...
    def base_indices(self) -> list[int]: ...
    @property
    def keys(self) -> list[str]: ...
    def lookup(self, key: str) -> int | None: ...
    def get_revisions(self, id_: _Ident, *, indices: bool = False) -> tuple[Any, ...]: ...
    def get_revision(self, id_: _Ident, *, indices: bool = False) -> Any: ...
    def revision_for_ident(
        self, resolved_id: _Ident, check_branch: str | None = None, *, indices: bool = False
    ) -> Any: ...
    def resolve_branch(self, branch_label: str, *, indices: bool = False) -> Any: ...
    def resolve_revision_number(self, id_: _Ident) -> tuple[tuple[Any, ...], str | None]: ...
    def get_current_head(self, branch_label: str | None = None) -> str | None: ...
    def get_base_revisions(self, identifier: _Ident) -> list[str]: ...
    def filter_for_lineage(
        self, targets: Iterable[str | int | None], check_against: _Ident, include_dependencies: bool = False
    ) -> tuple[Any, ...]: ...
    def shares_lineage(
        self, target: str | int, test_against_revs: _Ident, include_dependencies: bool = False
    ) -> bool: ...
    def walk(
        self,
        start: str | int | None,
        steps: int,
        branch_label: str | None = None,
        no_overwalk: bool = True,
        *,
        indices: bool = False,
    ) -> Any: ...
    def parse_upgrade_target(
        self, current_revisions: _Ident, target: _Ident, assert_relative_length: bool = True, *, indices: bool = False
    ) -> tuple[Any, ...]: ...
    def parse_downgrade_target(
        self, current_revisions: _Ident, target: _Ident, assert_relative_length: bool = True, *, indices: bool = False
    ) -> tuple[str | None, Any]: ...
    def iterate_revisions(
        self,
        upper: _Ident,
        lower: _Ident,
        implicit_base: bool = False,
        inclusive: bool = False,
        assert_relative_length: bool = True,
        select_for_downgrade: bool = False,
        *,
        indices: bool = False,
    ) -> list[Any]: ...
    def get_all_current(self, id_: _Ident, *, indices: bool = False) -> list[Any]: ...
    def filter_into_branch_heads(self, targets: Iterable[str | int | None], *, indices: bool = False) -> list[Any]: ...
    def descendants(
        self,
        targets: Iterable[str | int | None],
        include_dependencies: bool = True,
        omit_immediate_dependencies: bool = False,
        check: bool = False,
        *,
        indices: bool = False,
    ) -> list[Any]: ...
    def ancestors(
        self,
        targets: Iterable[str | int | None],
        include_dependencies: bool = True,
        check: bool = False,
        *,
        indices: bool = False,
    ) -> list[Any]: ...
    def revision_info(self, key: str | int) -> RevisionInfo: ...
    def upgrade_plan(self, destination: _Ident, current_heads: _Ident) -> list[MigrationStep]: ...
    def downgrade_plan(self, destination: _Ident, current_heads: _Ident) -> list[MigrationStep]: ...
    def stamp_plan(self, revision: _Ident, current_heads: _Ident) -> list[MigrationStep]: ...
    def walk_revisions(self, base: str = "base", head: str = "heads", *, indices: bool = False) -> list[Any]: ...
    def apply_steps(
        self, current_heads: Sequence[str], steps: Sequence[MigrationStep]
    ) -> tuple[list[_VersionOp], tuple[str, ...]]: ...

def bench_scan(versions_dir: str | os.PathLike[str], recursive: bool = False) -> int:
    """Discover, read and parse every revision file of one folder and build the graph,
    all in Rust (``make bench``'s engine row). Returns the number of revisions."""

# --- the whole monorepo at once (src/bindings/fleet.rs) -------------------------

# The shapes below mirror the Rust structs of src/fleet/ (ServiceSpec, status::ServiceStatus,
# check::Finding), converted field by field in src/bindings/fleet.rs; tests/test_fleet_types.py
# checks that these TypedDicts have exactly the keys the module accepts and returns.

class _ServiceSpecName(TypedDict):
    name: str

class ServiceSpec(_ServiceSpecName, total=False):
    """One service as ``fleet_status`` and ``fleet_check`` take it. Only ``name`` is required;
    a missing key (or None) takes its default; a key not listed here is refused (ValueError)."""

    version_locations: list[str | os.PathLike[str]]
    recursive: bool
    sourceless: bool
    url: str | None  # with its password: never echoed
    url_error: str | None  # why there is no URL, when url is None
    base_dir: str | os.PathLike[str]  # relative SQLite paths are relative to it
    version_table: str  # default "alembic_version"
    version_table_schema: str | None
    allow_multiple_heads: bool
    search_path: Sequence[str | os.PathLike[str]]  # the section's prepend_sys_path, absolute
    # the values of revision files imported as Alembic would, for those only an import reads:
    # (revision, down_revision, depends_on, branch_labels, path)
    imported: list[tuple[str, Any, Any, Any, str]]
    # the Alembic release whose revision id rules apply (':' allowed before 1.17.1);
    # default: the installed one (monomig._alembic_support.installed_version()), else the newest
    alembic_version: str | None

ServiceState = Literal["up_to_date", "behind", "ahead", "not_initialized", "migrating", "unreachable", "error"]

class ServiceStatus(TypedDict):
    """One service's state, as ``fleet_status`` answers it."""

    service: str
    database: str | None  # the masked URL
    database_key: str | None  # equal for services on one database (an opaque hash)
    version_table: str
    version_table_schema: str | None
    current: list[str]  # the version table's rows, as read
    heads: list[str]
    pending: int | None  # revisions to go to the target
    state: ServiceState
    holder: str | None  # who holds the migration lock, when another process holds it
    error: str | None
    error_kind: str | None  # for unreachable: unreachable, auth_failed, timeout, ...
    shared_with: list[str]  # other services writing the same database and version table
    revisions: int
    needs_import: list[str]  # the files only an import reads, when they are why state is "error"

class CheckFinding(TypedDict):
    """One ``monomig check`` finding."""

    service: str
    code: str
    message: str
    path: str | None
    line: int | None
    revision: str | None

def fleet_status(
    services: list[ServiceSpec],
    target: str | None = None,
    connect_timeout: float = 5.0,
    concurrency: int = 16,
) -> list[ServiceStatus]:
    """Every service's state, in the order of ``services``: revision files read statically,
    version tables and migration locks read concurrently (one connection per database, at most
    ``concurrency`` at once; a lock is never taken or waited for). ``target`` is what
    ``pending`` counts towards (Alembic's ``heads`` by default). A service whose migration lock
    another process holds is ``migrating`` (unless it is ``unreachable`` or in ``error``)."""

def fleet_check(services: list[ServiceSpec], all_services: list[ServiceSpec] | None = None) -> list[CheckFinding]:
    """Static findings for ``services``; ``all_services`` is every service of the project (for
    parents found in another service's folder), ``services`` when None."""

# --- reports (src/report.rs): Alembic's heads / history / branches / show text ---
# ``docstrings`` are the revision modules' ``__doc__`` in load order. Errors are
# CommandError carrying the text Alembic prints after "FAILED: ".

def report_heads(
    graph: RevisionGraph,
    docstrings: Sequence[str | RevisionEntry | None],
    verbose: bool = False,
    resolve_dependencies: bool = False,
) -> str: ...
def report_history(
    graph: RevisionGraph,
    docstrings: Sequence[str | RevisionEntry | None],
    base: str = "",
    head: str = "",
    verbose: bool = False,
) -> str: ...
def report_branches(
    graph: RevisionGraph, docstrings: Sequence[str | RevisionEntry | None], verbose: bool = False
) -> str: ...
def report_show(graph: RevisionGraph, docstrings: Sequence[str | RevisionEntry | None], rev: str) -> str: ...

# --- pictures (src/render/): monomig graph and the graphs of monomig report --html ---

def render_graphs(
    services: Sequence[tuple[str, RevisionGraph, Sequence[str | None], tuple[Sequence[str], str] | None]],
    format: Literal["mermaid", "dot", "svg"] = "mermaid",
    *,
    full: bool = False,
    since: str | None = None,
    id_prefix: str = "",
) -> str:
    """Each service ``(name, graph, messages in load order, (current revisions, state) of its
    database or None)`` drawn as one Mermaid flowchart, Graphviz DOT digraph or SVG document.
    Linear runs of plain revisions collapse into one node unless ``full``; ``since`` (an id, a
    prefix or a branch label, resolved in each service) keeps that revision and what follows it
    (RevisionError when it names none). ``id_prefix`` makes an SVG's ids unique in a page."""

# --- tenants (src/tenants/): the schemas or databases of a multi-tenant service, and shards ---

def tenant_name_error(name: str) -> str | None:
    """Why ``name`` cannot be a tenant (schema or database) name, or None when it can."""

def list_tenant_names(url: str, kind: str, base_dir: _Path | None = None, connect_timeout: float = 5.0) -> list[str]:
    """Every schema (``kind="schemas"``) or database (``"databases"``) of the server, system ones
    left out, sorted; raises DatabaseError (with ``kind``) or ConfigError."""

def query_tenants(
    url: str, sql: str, base_dir: _Path | None = None, connect_timeout: float = 5.0
) -> list[tuple[str, str]]:
    """The rows (name, URL or schema) of ``sql`` on the control database ``url``."""

def tenant_database_url(url: str, name: str) -> str:
    """``url`` naming the database ``name`` instead (with its password: for connecting only)."""

def shards_of(keys: list[str], shards: int) -> list[int]:
    """The shard (0..shards) of each database key (rendezvous hashing)."""

# monomig lint (src/lint/, src/bindings/lint.rs): JSON in, JSON out.
def lint_service(request: str) -> str: ...
def lint_rules() -> str: ...

# --- monomig.sum (src/sum/): the checksum file of a service's revision files ---

class SumEntry(TypedDict):
    """One line of a service's monomig.sum: a revision file and its hash."""

    path: str
    hash: str
    revision: str | None

class SumWritten(TypedDict):
    """What ``sum_write`` did."""

    path: str
    files: int
    changed: bool

def sum_file_hash(path: str | os.PathLike[str]) -> str:
    """``sha256:<hex>`` of a file's contents, line endings normalised."""

def sum_entries(
    name: str, version_locations: Sequence[str], recursive: bool = False, sourceless: bool = False
) -> list[SumEntry]:
    """The service's revision files in sum order (upgrade order, then unplaced files)."""

def sum_write(
    name: str, version_locations: Sequence[str], recursive: bool = False, sourceless: bool = False
) -> SumWritten:
    """Write the service's monomig.sum in its first version location."""

def sum_check(
    name: str,
    version_locations: Sequence[str],
    recursive: bool = False,
    sourceless: bool = False,
    strict: bool = False,
    sum_required: bool = False,
) -> list[CheckFinding]:
    """The ``check --all`` findings of the service's monomig.sum."""

# --- the ledger (src/ledger/): each service's newest ledger row, for `status` ---

class LedgerStep(TypedDict):
    """A service's newest ledger row, as ``ledger_last_steps`` returns it."""

    revision: str
    direction: str
    outcome: str
    started_at: str
    error: str | None

def ledger_last_steps(
    targets: Sequence[tuple[str, str | os.PathLike[str], str, str | None, str]],
    connect_timeout: float = 5.0,
    concurrency: int = 16,
) -> list[LedgerStep | str | None]:
    """For each ``(url, base_dir, table, schema, service)``: the newest row, None without one,
    or the error text when the ledger could not be read."""

# --- schema snapshots (src/schema/): a database's schema read from its catalog ---

@final
class SchemaSnapshot:
    """A database's schema as read from its catalog (tables, columns, indexes, constraints,
    enum types). Compare two with ``==`` or ``diff``."""

    @property
    def tables(self) -> list[str]: ...
    def diff(self, other: SchemaSnapshot, left: str = "before", right: str = "after") -> list[str]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __eq__(self, value: object, /) -> bool: ...

def schema_snapshot(
    url: str, exclude: list[str] = ..., base_dir: str | os.PathLike[str] | None = None, connect_timeout: float = 10.0
) -> SchemaSnapshot: ...
