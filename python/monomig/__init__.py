"""monomig: fast, safe Alembic migrations for monorepos.

The work happens in the Rust core (``monomig._native``); this package is a thin
shim over it.
"""

from monomig._native import (
    CommandError,
    ConfigError,
    CycleDetected,
    DatabaseError,
    DependencyCycleDetected,
    DependencyLoopDetected,
    LockError,
    LoopDetected,
    MigrationStep,
    MonomigError,
    MultipleHeads,
    Project,
    RangeNotAncestorError,
    ResolutionError,
    RevisionError,
    RevisionGraph,
    ScriptError,
    Service,
    __version__,
    load_project,
)

__all__ = [
    "CommandError",
    "ConfigError",
    "CycleDetected",
    "DatabaseError",
    "DependencyCycleDetected",
    "DependencyLoopDetected",
    "LockError",
    "LoopDetected",
    "MigrationStep",
    "MonomigError",
    "MultipleHeads",
    "Project",
    "RangeNotAncestorError",
    "ResolutionError",
    "RevisionError",
    "RevisionGraph",
    "ScriptError",
    "Service",
    "__version__",
    "current_target",
    "load_project",
    "run_env",
    "url_for",
]


TYPE_CHECKING = False
if TYPE_CHECKING:
    from monomig.tenants import Target as _Target


def _activate_bridge_if_alembic_loaded() -> None:
    # `import monomig` inside env.py (Alembic is loaded): switch the bridge on. When
    # Alembic is not imported (the `monomig` command, plain scripts) or is still being
    # imported (its plugins are set up from inside `import alembic`), nothing is
    # imported here: neither alembic nor sqlalchemy.
    import sys

    from monomig._values import env_off

    if env_off("MONOMIG_BRIDGE"):
        return
    alembic = sys.modules.get("alembic")
    if alembic is not None and getattr(alembic, "__version__", None) is not None:
        from monomig import bridge

        bridge.activate()


def run_env(**kw: object) -> None:
    """A complete env.py: ``import monomig; monomig.run_env()`` (see monomig.env)."""
    from monomig.env import run_env as _run_env

    _run_env(**kw)  # type: ignore[arg-type]


def current_target(service: str | None = None) -> "_Target | None":
    """The tenant the running command migrates (name, masked URL in ``display``, schema), for
    env.py: the target of a ``monomig ... --all`` worker, or ``-x tenant=NAME`` of the section's
    ``monomig.targets``; None when no tenant is named (see monomig.tenants)."""
    from monomig.tenants import current_target as _current_target

    return _current_target(service)


def url_for(service: str | None = None, *, config: object = None) -> str:
    """The database URL monomig resolves for ``service`` (default: the running Alembic
    command's ``-n`` section), for env.py: the database ``monomig status`` and
    ``monomig upgrade --all`` read and lock (see monomig.urls.url_for)."""
    from monomig.urls import url_for as _url_for

    return _url_for(service, config=config)


_activate_bridge_if_alembic_loaded()
del _activate_bridge_if_alembic_loaded
