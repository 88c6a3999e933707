"""monomig's Alembic plugin (the ``alembic.plugins`` entry point ``monomig``).

``import alembic`` sets up every installed plugin before the ``alembic`` command parses
its arguments. For the commands that never run env.py (``heads``, ``history``,
``branches``, ``show``, ``merge``, plain ``revision``, ``edit``) an ``import monomig`` in
env.py comes too late, so this plugin switches the bridge on for projects that opted in:

**The opt-in rule.** A run of the ``alembic`` command uses monomig's bridge when the
ini section it selects (``-n``, default ``alembic``; the file from ``-c`` /
``ALEMBIC_CONFIG`` / ``alembic.ini``) has ``monomig_bridge = true``, or has no
``monomig_bridge`` key and the ``env.py`` of its ``script_location`` imports monomig
(a line ``import monomig...`` or ``from monomig... import ...``), read as text without
running it. ``monomig_bridge = false`` keeps stock Alembic even then.

**Which Alembic.** Plugins exist from Alembic 1.18.0. 1.18.0 to 1.20.0 iterate the
object an entry point names (``for mod in entrypoint.load()``) and fail ``import
alembic`` with ``TypeError: 'module' object is not iterable`` for a plain module; 1.20.1
sets a module up directly. This module is therefore also an iterable of itself (its
class is :class:`_PluginModule`), which both readings accept without a warning. On 1.17
and older the plugin is never called: the ``alembic`` command is bridged only for the
commands that run env.py (``import monomig`` there). On an Alembic outside monomig's
supported range the bridge refuses to activate (``monomig._alembic_support``).

Anything else (another program importing Alembic, a project that did not opt in, an
ini that cannot be read) leaves Alembic untouched: the plugin registers its name and
nothing more. It never fails the command it runs in.
"""

from __future__ import annotations

import os
import re
import sys
import types
from collections.abc import Iterator
from typing import Any

__all__ = ["cli_selection", "opt_in", "opted_in", "setup"]

_IMPORTS_MONOMIG = re.compile(r"^[ \t]*(?:import[ \t]+monomig\b|from[ \t]+monomig(?:\.\w+)*[ \t]+import\b)", re.M)


def _is_alembic_command(argv: list[str]) -> bool:
    if not argv:
        return False
    prog = os.path.basename(argv[0])
    if prog in ("alembic", "alembic.exe"):
        return True
    parts = os.path.normpath(argv[0]).split(os.sep)
    return len(parts) >= 2 and parts[-2] == "alembic" and parts[-1] == "__main__.py"


def cli_selection(args: list[str]) -> tuple[list[str], str]:
    """The ``-c`` files and the ``-n`` section an ``alembic`` command line selects."""
    configs: list[str] = []
    name = "alembic"
    i = 0
    while i < len(args):
        a = args[i]
        value: str | None = None
        if a in ("-c", "--config", "-n", "--name"):
            if i + 1 < len(args):
                value = args[i + 1]
            i += 2
            key = a
        elif a.startswith("--config=") or a.startswith("--name="):
            key, value = a.split("=", 1)
            i += 1
        elif a.startswith("-c") and len(a) > 2:
            key, value = "-c", a[2:]
            i += 1
        elif a.startswith("-n") and len(a) > 2:
            key, value = "-n", a[2:]
            i += 1
        else:
            i += 1
            continue
        if value is None:
            continue
        if key in ("-c", "--config"):
            configs.append(value)
        else:
            name = value
    return configs, name


def opted_in(configs: list[str], name: str, environ: Any = None) -> bool:
    """Whether the project (ini section ``name``) opted in to the bridge (see the module doc)."""
    return opt_in(configs, name, environ)[0]


def opt_in(configs: list[str], name: str, environ: Any = None) -> tuple[bool, str]:
    """:func:`opted_in` with the reason, one sentence fragment (``monomig doctor`` shows it).

    Raises :class:`monomig.MonomigError` when the configuration cannot be read."""
    from monomig import _native

    env = os.environ if environ is None else environ
    ini, toml = _native.config_paths(configs, env.get("ALEMBIC_CONFIG"))
    project = _native.load_project(
        ini, toml if os.path.exists(toml) else None, allow_missing_ini=True, find_services=False
    )
    service = project.section(name)
    flag = service.options.get("monomig_bridge")
    if flag is not None:
        # monomig's own option, read as monomig reads every yes/no value (an
        # unrecognised word keeps stock Alembic)
        from monomig._values import asbool

        on = asbool(flag)
        return on, f"its section sets monomig_bridge = {flag.strip()}"
    env_py = os.path.join(service.script_location, "env.py")
    try:
        with open(env_py, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return False, f"its env.py ({env_py}) cannot be read"
    if _IMPORTS_MONOMIG.search(text) is not None:
        return True, f"its env.py ({env_py}) imports monomig"
    return False, f"its env.py ({env_py}) does not import monomig and its section has no monomig_bridge = true"


def setup(plugin: Any) -> None:
    """Called by Alembic for the ``alembic.plugins`` entry point."""
    if not _is_alembic_command(sys.argv):
        return  # another program imports Alembic: nothing is imported here
    had_monomig = "monomig" in sys.modules
    try:
        from monomig._values import env_off

        use = not env_off("MONOMIG_BRIDGE")
        if use:
            configs, name = cli_selection(sys.argv[1:])
            use = opted_in(configs, name)
    except Exception:  # noqa: BLE001  (Alembic itself reports a bad configuration)
        use = False
    if use:
        from monomig import bridge

        bridge.activate()
    elif not had_monomig:
        # Reading the configuration imported the package while Alembic was still being
        # imported, when `import monomig` does not switch the bridge on. Forget the
        # package (its compiled core stays loaded) so that an `import monomig` in env.py
        # runs it again, now with Alembic loaded, and switches the bridge on as it should.
        for mod in [m for m in sys.modules if m == "monomig" or (m.startswith("monomig.") and m != "monomig._native")]:
            del sys.modules[mod]


class _PluginModule(types.ModuleType):
    """This module's class: a module that is also an iterable of itself, the object
    every Alembic release with plugins accepts as an entry point (see the module doc)."""

    def __iter__(self) -> Iterator[types.ModuleType]:
        return iter((self,))


sys.modules[__name__].__class__ = _PluginModule
