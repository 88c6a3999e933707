"""Tests that need a feature of a newer Alembic than the one installed skip, with a
reason naming the version (``make test-alembic-matrix`` runs the suites on every
supported minor). The version rules themselves are monomig's
(``monomig._alembic_support``), so the tests and the package agree on them."""

from __future__ import annotations

import pytest

from monomig import _alembic_support

INSTALLED = _alembic_support.installed_version()


def requires(*version: int, why: str) -> pytest.MarkDecorator:
    """Skip unless the installed Alembic is ``version`` or newer; ``why`` names the feature."""
    needed = ".".join(map(str, version))
    return pytest.mark.skipif(
        not _alembic_support.at_least(*version),
        reason=f"{why} (Alembic {needed} or newer; installed: {INSTALLED})",
    )


#: ``alembic.plugins`` entry points (the opt-in rule of the plain ``alembic`` command).
PLUGINS = requires(1, 18, why="Alembic loads alembic.plugins entry points from 1.18.0 on")
#: ``[tool.alembic]`` in pyproject.toml, ``path_separator``, the appendable ``-c``.
CONFIG_1_16 = requires(1, 16, why="pyproject.toml configuration and path_separator")
#: The ``monomig`` command answers ``heads``/``history``/``branches``/``show`` itself (the
#: fast path) only where the core's configuration rules are the installed Alembic's.
FAST_PATH = requires(1, 16, why="the monomig command's fast path follows Alembic's 1.16 configuration rules")
