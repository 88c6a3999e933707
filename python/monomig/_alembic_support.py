"""Which Alembic releases the bridge supports, and whether it may activate here.

One home for the supported range: the bridge (``monomig.bridge.activate``), the
``alembic.plugins`` entry point and ``monomig doctor`` all ask :func:`check`.
The range is the one the differential suites run against (``make test`` on the
pinned release, ``make test-alembic-matrix`` on each minor's newest patch).

Outside the range (an older release such as 1.12.1, or a minor newer than
``NEWEST_MINOR``) the bridge does not activate: ``import monomig`` in env.py, the
plugin and the ``monomig`` command leave Alembic as it is, and the first refusal in a
process writes one warning to stderr (:func:`refuse`). ``MONOMIG_BRIDGE=force`` in the
environment switches the bridge on anyway, at the user's own risk.

Also the one home for "does the installed Alembic have feature X" (:func:`at_least`):
the places where monomig follows each supported version's own behaviour ask here.

Kept free of heavy imports: it runs on the start-up path of ``import monomig``, of the
plugin and of the ``monomig`` command's fast path, and never imports Alembic.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from typing import Any

__all__ = [
    "NEWEST_MINOR",
    "OLDEST",
    "Support",
    "at_least",
    "check",
    "cli_spec",
    "installed_version",
    "parse_version",
    "refuse",
]

#: The oldest supported release and the newest supported minor series (inclusive).
OLDEST: tuple[int, int, int] = (1, 13, 0)
NEWEST_MINOR: tuple[int, int] = (1, 20)

#: The words of ``MONOMIG_BRIDGE`` that override a refusal.
FORCE_WORDS = ("force",)

_VERSION_LINE = re.compile(r"""^__version__\s*=\s*["']([^"']+)["']""", re.M)


def range_text() -> str:
    """The supported range as users read it: ``1.13.0 to 1.20.x``."""
    return f"{'.'.join(map(str, OLDEST))} to {NEWEST_MINOR[0]}.{NEWEST_MINOR[1]}.x"


def parse_version(text: str) -> tuple[int, ...] | None:
    """``"1.13.3"`` -> ``(1, 13, 3)``; the leading numeric parts of a pre-release or
    local version (``"1.21.0b1"`` -> ``(1, 21, 0)``); None when it does not start with a number."""
    parts: list[int] = []
    for piece in text.strip().split("."):
        m = re.match(r"\d+", piece)
        if m is None:
            break
        parts.append(int(m.group()))
        if m.end() != len(piece):
            break
    return tuple(parts) if parts else None


def installed_version() -> str | None:
    """The version of the Alembic this process imports, without importing it.

    The loaded module's ``__version__`` when Alembic is imported (or being imported);
    otherwise the ``__version__`` line of the ``alembic/__init__.py`` that ``import
    alembic`` would load (what Alembic itself reports); else the installed
    distribution's metadata. None when there is no Alembic.
    """
    mod = sys.modules.get("alembic")
    found = getattr(mod, "__version__", None) if mod is not None else None
    if isinstance(found, str):
        return found
    try:
        import importlib.util

        spec = importlib.util.find_spec("alembic")
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        return None
    if spec.origin and spec.origin.endswith("__init__.py"):
        try:
            with open(spec.origin, encoding="utf-8", errors="replace") as f:
                m = _VERSION_LINE.search(f.read())
            if m is not None:
                return m.group(1)
        except OSError:
            pass
    try:
        from importlib.metadata import version

        return version("alembic")
    except Exception:  # noqa: BLE001 - no metadata: the version is unknown
        return None


def _supported(parsed: tuple[int, ...] | None) -> bool:
    if parsed is None:
        return False
    padded = (parsed + (0, 0, 0))[:3]
    return OLDEST <= padded and padded[:2] <= NEWEST_MINOR


def _forced(environ: object = None) -> bool:
    env = os.environ if environ is None else environ
    value = env.get("MONOMIG_BRIDGE")  # type: ignore[attr-defined]
    return isinstance(value, str) and value.strip().lower() in FORCE_WORDS


@dataclass(frozen=True)
class Support:
    """What :func:`check` found.

    ``version`` is the installed Alembic's version string (``None`` when Alembic is
    not installed); ``supported`` whether it lies in the range; ``forced`` whether
    ``MONOMIG_BRIDGE=force`` overrides a refusal; ``message`` one paragraph for the
    user when the bridge refuses (empty when it is supported); ``range`` the supported
    range as text (``1.13.0 to 1.20.x``).
    """

    version: str | None
    supported: bool
    forced: bool
    message: str
    range: str = ""

    @property
    def may_activate(self) -> bool:
        return self.supported or self.forced


def check(environ: object = None) -> Support:
    """The installed Alembic against the supported range (never raises).

    ``environ`` (default ``os.environ``) is where ``MONOMIG_BRIDGE`` is read.
    """
    try:
        version = installed_version()
    except Exception:  # noqa: BLE001 - never raises
        version = None
    supported = version is not None and _supported(parse_version(version))
    forced = _forced(environ)
    if supported:
        message = ""
    elif version is None:
        message = "monomig's Alembic bridge is off: Alembic is not installed (pip install 'monomig[alembic]')."
    elif forced:
        message = (
            f"monomig: warning: Alembic {version} is outside the range monomig's bridge supports "
            f"({range_text()}); MONOMIG_BRIDGE=force switches the bridge on anyway, at your own risk."
        )
    else:
        message = (
            f"monomig: warning: Alembic {version} is outside the range monomig's bridge supports "
            f"({range_text()}), so the bridge stays off and Alembic runs as it does without monomig. "
            "Install a supported Alembic (pip install 'monomig[alembic]'), or set MONOMIG_BRIDGE=force "
            "to switch the bridge on anyway, at your own risk."
        )
    return Support(version=version, supported=supported, forced=forced, message=message, range=range_text())


_warned: list[str] = []


def refuse(support: Support) -> None:
    """Write ``support.message`` to stderr, once per process (later calls are silent).

    Written directly rather than with :mod:`warnings`: a ``-W error`` filter must not turn
    the refusal into a failure of the stock command it leaves alone."""
    if _warned or not support.message or support.version is None:
        return
    _warned.append(support.message)
    try:
        sys.stderr.write(support.message + "\n")
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass


def at_least(*version: int) -> bool:
    """Whether the installed Alembic is ``version`` or newer (False without Alembic).

    The version-dependent rules of monomig ask here, e.g. ``at_least(1, 16)`` for
    ``Config(toml_file=...)`` and the 1.16 configuration rules."""
    parsed = parse_version(installed_version() or "")
    if parsed is None:
        return False
    return (parsed + (0, 0, 0))[:3] >= (tuple(version) + (0, 0, 0))[:3]


#: How the command line of older releases differs from the generated one
#: (``monomig._alembic_cli``, Alembic 1.20.1's; the same from 1.18.5 on): the help
#: texts of ``-c``/``-n`` before 1.16.0, ``current --check-heads`` from 1.17.1,
#: ``merge --splice`` from 1.18.5. Read from each minor's parser
#: (``scripts/gen_alembic_cli.py`` in the virtualenvs of ``scripts/alembic_matrix.py``);
#: ``tests/test_cli_spec.py`` compares :func:`cli_spec` with the installed Alembic's parser.
_HELP_BEFORE_1_16 = {
    "config": 'Alternate config file; defaults to value of ALEMBIC_CONFIG environment variable, or "alembic.ini"',
    "name": "Name of section in .ini file to use for Alembic config",
}
_ADDED_OPTIONS = (
    # (first release, command, dest)
    ((1, 17, 1), "current", "check_heads"),
    ((1, 18, 5), "merge", "splice"),
)


def cli_spec(spec: dict[str, Any], version: str | None = None) -> dict[str, Any]:
    """The command line of Alembic ``version`` (default: the installed one), from the
    generated ``spec`` of the newest release: the same nested dicts, with what the older
    release lacks left out, its help texts, and its ``--version`` text. Unknown or newer
    versions get ``spec`` itself.

    One difference stays on purpose: ``-c`` collects every value (``append``) on every
    version, and the configuration reader applies the installed release's rule to them
    (before 1.16 the last ``-c`` wins: ``_native.config_paths``)."""
    if version is None:
        version = installed_version()
    parsed = parse_version(version or "")
    if parsed is None or version == spec.get("alembic_version"):
        return spec
    v = (parsed + (0, 0, 0))[:3]
    import copy

    out = copy.deepcopy(spec)
    out["alembic_version"] = version
    for g in out["globals"]:
        if g.get("action") == "version":
            g["version"] = f"%(prog)s {version}"
        if v < (1, 16, 0) and g["dest"] in _HELP_BEFORE_1_16:
            g["help"] = _HELP_BEFORE_1_16[g["dest"]]
    for first, name, dest in _ADDED_OPTIONS:
        if v >= first:
            continue
        for command in out["commands"]:
            if command["name"] == name:
                command["kwarg"] = [k for k in command["kwarg"] if k != dest]
                command["arguments"] = [a for a in command["arguments"] if a["dest"] != dest]
    return out
