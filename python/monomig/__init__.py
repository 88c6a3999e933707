"""monomig: fast, safe Alembic migrations for monorepos.

The work happens in the Rust core (``monomig._native``); this package is a thin
shim over it.
"""

from monomig._native import (
    __version__,
    CommandError,
    ConfigError,
    Project,
    Service,
    load_project,
    CycleDetected,
    DatabaseError,
    DependencyCycleDetected,
    DependencyLoopDetected,
    LockError,
    LoopDetected,
    MonomigError,
    MigrationStep,
    MultipleHeads,
    RangeNotAncestorError,
    ResolutionError,
    RevisionError,
    RevisionGraph,
    ScriptError,
)

__all__ = [
    "__version__",
    "CommandError",
    "ConfigError",
    "Project",
    "Service",
    "load_project",
    "CycleDetected",
    "DatabaseError",
    "DependencyCycleDetected",
    "DependencyLoopDetected",
    "LockError",
    "LoopDetected",
    "MonomigError",
    "MigrationStep",
    "MultipleHeads",
    "RangeNotAncestorError",
    "ResolutionError",
    "RevisionError",
    "RevisionGraph",
    "ScriptError",
]
