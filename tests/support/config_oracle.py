"""What Python's configparser and the installed Alembic (1.13 to 1.20) make of a
configuration: the oracle the config differential tests compare monomig with.

Everything here goes through the real libraries' public API (``ConfigParser``,
``alembic.config.Config``, ``ScriptDirectory.from_config``); the only private
reads are ``ScriptDirectory._version_locations`` (the resolved version
directories) and ``ConfigParser._sections`` (which options a section sets itself).
Before Alembic 1.16 there is no ``toml_file``, ``get_alembic_option``,
``get_prepend_sys_paths_list`` or ``ScriptDirectory.hooks``: the oracle then asks
what that Alembic has (``get_main_option``, the ``sys.path`` entries
``from_config`` prepended, the ``post_write_hooks`` section as its hook runner
splits it).
"""

from __future__ import annotations

import configparser
import re
import sys
import warnings
from pathlib import Path
from typing import Any

from monomig import _alembic_support

RESERVED = ("loggers", "handlers", "formatters", "post_write_hooks")


def is_reserved(name: str) -> bool:
    return name in RESERVED or name.startswith(("logger_", "handler_", "formatter_"))


def here_of(ini: str | Path) -> str:
    return Path(ini).absolute().parent.as_posix()


def configparser_view(ini: str | Path) -> Any:
    """``("error", kind)`` if reading raises, else ``{section: items or ("error", kind)}``
    (sections in order), read exactly as Alembic reads alembic.ini."""
    cp = configparser.ConfigParser({"here": here_of(ini)})
    try:
        cp.read([ini], encoding="locale")
    except Exception as e:  # noqa: BLE001 - the class is what is compared
        return ("error", type(e).__name__)
    out: dict[str, Any] = {}
    for name in cp.sections():
        try:
            out[name] = list(cp.items(name))
        except Exception as e:  # noqa: BLE001
            out[name] = ("error", type(e).__name__)
    return out


def monomig_ini_view(native: Any, ini: str | Path) -> Any:
    """The same view from ``monomig._native.read_ini``."""
    import monomig

    try:
        parsed = native.read_ini(str(ini), [("here", here_of(ini))])
    except monomig.ConfigError as e:
        return ("error", e.kind)
    out: dict[str, Any] = {}
    for name in parsed.sections():
        try:
            out[name] = parsed.items(name)
        except monomig.ConfigError as e:
            out[name] = ("error", e.kind)
    return out


def _error(e: BaseException) -> tuple[str, str, str]:
    return ("error", type(e).__name__, str(e))


#: Alembic 1.16 added pyproject.toml and the ``get_alembic_*`` API.
NEW_CONFIG = _alembic_support.at_least(1, 16)


def _config(ini: str, toml: str | None, name: str = "alembic") -> Any:
    from alembic.config import Config

    if NEW_CONFIG:
        return Config(ini, ini_section=name, toml_file=toml)
    return Config(ini, ini_section=name)


def _option(cfg: Any, key: str) -> Any:
    """``get_alembic_option``; before 1.16 ``get_main_option`` (None without the section)."""
    if NEW_CONFIG:
        return cfg.get_alembic_option(key)
    if not cfg.file_config.has_section(cfg.config_ini_section):
        return None
    return cfg.get_main_option(key)


def _hooks(script: Any) -> list[tuple[str, list[tuple[str, str]]]]:
    if NEW_CONFIG:
        return [(h["_hook_name"], [(k, v) for k, v in h.items() if k != "_hook_name"]) for h in script.hooks]
    # write_hooks._run_hooks of 1.13-1.15
    config = script.hook_config or {}
    names = re.split(r", *|(?: +)", config.get("hooks", ""))
    return [(n, [(k[len(n) + 1 :], v) for k, v in config.items() if k.startswith(n + ".")]) for n in names if n]


def alembic_section(ini: str, name: str, toml: str | None) -> dict[str, Any] | tuple[str, str, str]:
    """``alembic -n NAME``: ScriptDirectory.from_config plus the section's
    get_section and main options, as monomig's Service holds them."""
    from alembic.script import ScriptDirectory

    cfg = _config(ini, toml, name)
    saved = sys.path[:]
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            script = ScriptDirectory.from_config(cfg)
            locations = [str(p) for p in script._version_locations]
            found = [str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)]
            has_section = cfg.file_config.has_section(name)
            options = list(cfg.get_section(name, {}).items())
            main = (lambda key: cfg.get_main_option(key)) if has_section else (lambda key: None)
            tsl = _option(cfg, "truncate_slug_length")
            if NEW_CONFIG:
                prepended = list(cfg.get_prepend_sys_paths_list() or [])
            else:  # what from_config put in front of sys.path
                prepended = sys.path[: len(sys.path) - len(saved)]
            result = {
                "name": name,
                "script_location": str(Path(script.dir).absolute()),
                "version_locations": locations,
                "recursive_version_locations": script.recursive_version_locations,
                "sourceless": script.sourceless,
                "prepend_sys_path": prepended,
                "file_template": script.file_template,
                "truncate_slug_length": None if tsl is None else int(tsl),
                "effective_truncate_slug_length": script.truncate_slug_length,
                "sqlalchemy_url": main("sqlalchemy.url"),
                "version_table": main("version_table") or "alembic_version",
                "version_table_schema": main("version_table_schema") or None,
                "post_write_hooks": _hooks(script),
                "options": options,
                "warnings": found,
            }
    except Exception as e:  # noqa: BLE001 - any failure of alembic -n NAME
        return _error(e)
    finally:
        sys.path[:] = saved
    return result


def monomig_section(project: Any, name: str) -> dict[str, Any] | tuple[str, str, str]:
    import monomig

    try:
        s = project.section(name)
    except monomig.ConfigError as e:
        return ("error", "ConfigError", str(e))
    return service_dict(s)


def service_dict(s: Any) -> dict[str, Any]:
    return {
        "name": s.name,
        "script_location": s.script_location,
        "version_locations": s.version_locations,
        "recursive_version_locations": s.recursive_version_locations,
        "sourceless": s.sourceless,
        "prepend_sys_path": s.prepend_sys_path,
        "file_template": s.file_template,
        "truncate_slug_length": s.truncate_slug_length,
        "effective_truncate_slug_length": s.effective_truncate_slug_length,
        "sqlalchemy_url": s.sqlalchemy_url,
        "version_table": s.version_table,
        "version_table_schema": s.version_table_schema,
        "post_write_hooks": [(n, list(o.items())) for n, o in s.post_write_hooks],
        "options": list(s.options.items()),
        "warnings": s.warnings,
    }


def alembic_services(ini: str, toml: str | None) -> list[dict[str, Any]] | tuple[str, str, str]:
    """The services monomig should find, by its documented rule, computed with
    Alembic: sections named in ``[alembic] databases`` or setting
    script_location / version_locations themselves, whose script_location is
    found; ``[alembic]`` only when no other section is one."""
    try:
        cp = _config(ini, toml).file_config
        databases: list[str] = []
        if cp.has_section("alembic"):
            databases = [d for d in re.split(r"[,\s]+", cp.get("alembic", "databases", fallback="")) if d]
        candidates = [
            s
            for s in cp.sections()
            if s != "alembic"
            and not is_reserved(s)
            and (s in databases or "script_location" in cp._sections[s] or "version_locations" in cp._sections[s])
        ]
        services = []
        for name in candidates:
            if _option(_config(ini, toml, name), "script_location") is None:
                continue
            result = alembic_section(ini, name, toml)
            if isinstance(result, tuple):
                return result
            services.append(result)
        if not services and _option(_config(ini, toml), "script_location") is not None:
            result = alembic_section(ini, "alembic", toml)
            if isinstance(result, tuple):
                return result
            services.append(result)
        return services
    except Exception as e:  # noqa: BLE001
        return _error(e)


def monomig_services(ini: str, toml: str | None) -> list[dict[str, Any]] | tuple[str, str, str]:
    import monomig

    try:
        project = monomig.load_project(ini, toml)
    except monomig.ConfigError as e:
        return ("error", "ConfigError", str(e))
    return [service_dict(s) for s in project.services.values()]


def same_outcome(expected: Any, actual: Any) -> bool:
    """Equal results, or both errors (of any class: monomig raises ConfigError)."""
    if isinstance(expected, tuple) or isinstance(actual, tuple):
        return isinstance(expected, tuple) and isinstance(actual, tuple)
    return expected == actual
