"""monomig's own commands beyond the fleet's ``status``/``check``/``--all``, one module each.

Every public module of this package is a command of ``monomig``: it defines

- ``NAME``: the command word (``monomig NAME ...``);
- ``HELP``: the one line ``monomig --help`` shows;
- ``DESCRIPTION``: the paragraph ``monomig NAME --help`` opens with (may hold examples);
- ``add_arguments(parser)``: its options, on an :class:`argparse.ArgumentParser`;
- ``run(args) -> int``: the command itself, returning its exit status.

A module imports only what building the parser needs at its top (``monomig --help``
and ``monomig -n svc heads`` build no parser for it, but every other command does);
the work's imports go inside ``run``. A :class:`monomig.MonomigError` raised by
``run`` is printed as ``monomig: error: ...`` with exit status 2.
"""

from __future__ import annotations

import importlib
import pkgutil

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import ModuleType


def modules() -> Iterator[ModuleType]:
    """The command modules, in the order of their names."""
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            yield importlib.import_module(f"{__name__}.{info.name}")
