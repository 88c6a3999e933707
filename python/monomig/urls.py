"""Where a service's database URL comes from.

One order, shared by ``monomig.run_env()`` (inside env.py) and by monomig's
fleet commands (``monomig status``, ``monomig upgrade --all``):

1. the environment variable ``MONOMIG_URL_<SERVICE>`` (the service name
   upper-cased, every character other than A-Z, 0-9 and ``_`` turned into ``_``);
2. the service module's ``DB_URL`` (``services.<service>.config`` by default):
   a string or a SQLAlchemy ``URL``;
3. the service section's ``sqlalchemy.url``;
4. ``[alembic]``'s ``sqlalchemy.url`` (the fallback URL of the seed layout).

The service module is read without importing it when ``DB_URL`` is a plain
literal (``DB_URL = "..."`` or ``DB_URL = make_url("...")``), so the fleet
commands need neither SQLAlchemy nor the service's own imports; otherwise it is
imported. Nothing here imports Alembic or SQLAlchemy. :func:`url_for` (``monomig.url_for``)
gives env.py the same answer from the running Alembic command's configuration.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

DEFAULT_MODULE = "services.{service}.config"
DEFAULT_ATTRIBUTE = "DB_URL"

# Names a plain-literal DB_URL may be wrapped in: make_url("..."), engine.make_url("..."),
# sqlalchemy.engine.make_url("..."), URL("...") is not a constructor, so it is not listed.
_URL_FACTORIES = {"make_url"}


@dataclass(frozen=True)
class ResolvedURL:
    """A database URL and where it came from (``source`` never contains the password)."""

    url: str
    source: str

    def __repr__(self) -> str:  # the URL may hold a password: never show it
        return f"ResolvedURL(source={self.source!r})"


def env_var_name(service: str) -> str:
    """The environment variable that overrides ``service``'s URL."""
    return "MONOMIG_URL_" + re.sub(r"[^A-Z0-9_]", "_", service.upper())


def resolve_url(
    service: str,
    *,
    section_url: str | None = None,
    fallback_url: str | None = None,
    environ: Mapping[str, str] | None = None,
    module: str | None = DEFAULT_MODULE,
    attribute: str = DEFAULT_ATTRIBUTE,
    sys_path: Sequence[str] | None = None,
) -> ResolvedURL | None:
    """The URL of ``service`` in monomig's documented order, or ``None`` when nothing names one.

    ``section_url`` is the section's ``sqlalchemy.url``, ``fallback_url`` the one of
    ``[alembic]``. ``module`` is a pattern with ``{service}`` (``None`` skips step 2).
    ``sys_path`` entries (e.g. the ini's ``prepend_sys_path``) are searched first for the
    module. A module that exists but fails to import, or whose ``DB_URL`` is neither a
    string nor a URL, raises :class:`monomig.ConfigError` naming the service.
    """
    env = os.environ if environ is None else environ
    name = env_var_name(service)
    value = env.get(name)
    if value:
        return ResolvedURL(value, f"environment variable {name}")
    if module:
        module_name = module.format(service=service)
        found = _module_url(service, module_name, attribute, sys_path or ())
        if found is not None:
            return ResolvedURL(found, f"{module_name}.{attribute}")
    if section_url:
        return ResolvedURL(section_url, f"sqlalchemy.url in [{service}]")
    if fallback_url:
        return ResolvedURL(fallback_url, "sqlalchemy.url in [alembic]")
    return None


def _module_url(service: str, module_name: str, attribute: str, sys_path: Sequence[str]) -> str | None:
    added = [p for p in sys_path if p not in sys.path]
    sys.path[:0] = added
    try:
        origin = _find_module_file(module_name)
        if origin is None:
            return None
        static = _static_value(origin, attribute)
        if not isinstance(static, _NotStatic):  # _NOT_STATIC is its only instance
            return static
        return _imported_value(service, module_name, attribute)
    finally:
        for p in added:
            try:
                sys.path.remove(p)
            except ValueError:
                pass


def _find_module_file(module_name: str) -> str | None:
    if module_name in sys.modules:
        return getattr(sys.modules[module_name], "__file__", None) or "<loaded>"
    try:
        spec = importlib.util.find_spec(module_name)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    return spec.origin or "<namespace>"


class _NotStatic:
    pass


_NOT_STATIC = _NotStatic()


def _static_value(path: str, attribute: str) -> str | _NotStatic | None:
    """``DB_URL``'s value when the module assigns it once, at module level, from a literal."""
    if not path.endswith(".py"):
        return _NOT_STATIC
    try:
        with open(path, "rb") as f:
            tree = ast.parse(f.read(), filename=path)
    except (OSError, SyntaxError, ValueError):
        return _NOT_STATIC
    value: str | _NotStatic | None = None
    assigned = 0
    for node in ast.walk(tree):
        # Any other way of binding the name (for, with, import, global, walrus, del...) is not static.
        if isinstance(node, ast.Name) and node.id == attribute and not isinstance(node.ctx, ast.Load):
            assigned += 1
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            if any((a.asname or a.name) in (attribute, "*") for a in node.names):
                return _NOT_STATIC
    for node in tree.body:
        targets: list[ast.expr] = []
        expr: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets, expr = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, expr = [node.target], node.value
        if any(isinstance(t, ast.Name) and t.id == attribute for t in targets):
            if len(targets) != 1:
                return _NOT_STATIC
            value = _literal_url(expr)
            assigned -= 1
    if assigned != 0 or value is None:
        return _NOT_STATIC
    return value


def _literal_url(expr: ast.expr | None) -> str | _NotStatic:
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value
    if (
        isinstance(expr, ast.Call)
        and len(expr.args) == 1
        and not expr.keywords
        and isinstance(expr.args[0], ast.Constant)
        and isinstance(expr.args[0].value, str)
    ):
        func = expr.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        if name in _URL_FACTORIES:
            return expr.args[0].value
    return _NOT_STATIC


def _imported_value(service: str, module_name: str, attribute: str) -> str | None:
    from monomig import ConfigError

    try:
        mod = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001 - the service's own code failed: say which module and why
        raise ConfigError(
            f"service {service!r}: importing {module_name} (for its {attribute}) failed: "
            f"{type(exc).__name__}: {exc}; fix the module or set {env_var_name(service)}"
        ) from None
    if not hasattr(mod, attribute):
        return None
    value = getattr(mod, attribute)
    if value is None:
        return None
    if isinstance(value, str):
        return value
    render = getattr(value, "render_as_string", None)
    if callable(render):
        return render(hide_password=False)
    raise ConfigError(
        f"service {service!r}: {module_name}.{attribute} is a {type(value).__name__}, "
        "not a URL string or a SQLAlchemy URL"
    )


def no_url_message(service: str, module: str | None = DEFAULT_MODULE) -> str:
    """What to say when nothing names ``service``'s database URL."""
    where = f"{DEFAULT_ATTRIBUTE} in {module.format(service=service)}, " if module else ""
    return (
        f"no database URL for service {service!r}: set {env_var_name(service)}, {where}"
        f"or sqlalchemy.url in its [{service}] section"
    )


def _alembic_option(config: Any, section: str, key: str) -> str | None:
    file_config = config.file_config
    if not file_config.has_section(section):
        return None
    return config.get_section_option(section, key) or None


def resolve_for_config(
    config: Any,
    service: str | None = None,
    *,
    module: str | None = DEFAULT_MODULE,
    attribute: str = DEFAULT_ATTRIBUTE,
) -> tuple[str, ResolvedURL | None]:
    """``(service, ResolvedURL or None)`` for an Alembic ``Config``: the service defaults
    to its ini section (``-n``); the section's and ``[alembic]``'s ``sqlalchemy.url`` and
    its ``prepend_sys_path`` are read from it, as ``monomig upgrade --all`` reads them."""
    section = config.config_ini_section
    svc = service or section
    section_url = _alembic_option(config, svc, "sqlalchemy.url") if svc != "alembic" else None
    fallback_url = _alembic_option(config, "alembic", "sqlalchemy.url")
    try:
        sys_path = [os.path.abspath(p) for p in (config.get_prepend_sys_paths_list() or [])]
    except Exception:  # noqa: BLE001 - an older Alembic, or a value Alembic itself rejects later
        sys_path = []
    return svc, resolve_url(
        svc, section_url=section_url, fallback_url=fallback_url, module=module, attribute=attribute, sys_path=sys_path
    )


def url_for(service: str | None = None, *, config: Any = None) -> str:
    """The database URL monomig resolves for ``service``, for env.py to connect to.

    The same resolution as ``monomig status`` and ``monomig upgrade --all`` (so the
    database env.py migrates is the one they read and lock): ``MONOMIG_URL_<SERVICE>``,
    then ``DB_URL`` in ``services/<service>/config.py``, then the service section's
    ``sqlalchemy.url``, then ``[alembic]``'s. ``service`` defaults to the ini section of
    the running Alembic command (``alembic -n <service> ...``); ``config`` is an Alembic
    ``Config`` (default: ``alembic.context.config``, the one env.py runs under).

    In env.py::

        import monomig
        engine = create_engine(monomig.url_for())

    Raises :class:`monomig.ConfigError` naming the service when nothing names a URL.
    """
    if config is None:
        from alembic import context

        config = context.config
    svc, found = resolve_for_config(config, service)
    if found is None:
        from monomig import ConfigError

        raise ConfigError(no_url_message(svc))
    return found.url
