"""monomig: fast, safe Alembic migrations for monorepos.

The work happens in the Rust core (``monomig._native``); this package is a thin
shim over it.
"""

from monomig._native import (
    __version__,
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
    MultipleHeads,
    RangeNotAncestorError,
    ResolutionError,
    RevisionError,
    ScriptError,
)

__all__ = [
    "__version__",
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
    "MultipleHeads",
    "RangeNotAncestorError",
    "ResolutionError",
    "RevisionError",
    "ScriptError",
]
