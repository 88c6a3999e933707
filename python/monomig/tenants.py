"""Tenants: one service migrating many schemas or databases, and shards of them.

A service's section declares its targets with ``monomig.targets``::

    [dispatch]
    monomig.targets = schemas:dispatch_organization_*   # every matching schema of its database
    # databases:tenant_*     every matching database on its server
    # file:tenants.txt       one URL per line ("NAME URL" or "URL"; '#' comments), relative to alembic.ini
    # query:SELECT name, url FROM tenants   rows (name, URL or schema) from monomig.targets_url

Each target is a :class:`Target` named ``service/tenant`` in the fleet commands. The
listing and the name rules are the Rust core's (``_native.list_tenant_names``,
``query_tenants``, ``tenant_name_error``); the globs are Python's ``fnmatch.fnmatchcase``.
``current_target()`` is what env.py asks: the fleet worker's target, or the one named with
Alembic's ``-x tenant=NAME``.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from monomig import _native
from monomig._native import ConfigError

TARGETS = "monomig.targets"
TARGETS_URL = "monomig.targets_url"
#: Set by the fleet worker for the command it runs: the target as JSON (never inherited by
#: other processes: the worker sets it in its own environment around the command).
TARGET_ENV = "MONOMIG_TARGET"
KINDS = ("schemas", "databases", "file", "query")

__all__ = ["TARGETS", "TARGETS_URL", "Target", "TenantError", "current_target", "resolve_targets"]


class TenantError(ConfigError):
    """A service's targets cannot be resolved (bad ``monomig.targets``, nothing matching, a
    control database that does not answer, a bad or duplicate tenant name, ...)."""


@dataclass(frozen=True)
class Target:
    """One tenant of a service: its name, where it is and (for schema tenants) its schema.

    ``url`` holds the password, for connecting; ``display`` is the masked URL, and the
    ``repr`` shows only that."""

    service: str
    name: str
    url: str
    schema: str | None = None

    @property
    def display(self) -> str:
        return _native.mask_password(self.url)

    @property
    def label(self) -> str:
        """``service/tenant``, as the fleet commands name it."""
        return f"{self.service}/{self.name}"

    def __repr__(self) -> str:
        schema = f", schema={self.schema!r}" if self.schema else ""
        return f"Target({self.label!r}, url={self.display!r}{schema})"

    def as_json(self) -> str:
        return json.dumps({"service": self.service, "name": self.name, "url": self.url, "schema": self.schema})


def parse_option(service: str, value: str) -> tuple[str, str]:
    """``kind:argument`` of ``monomig.targets``, or a TenantError naming the service."""
    kind, sep, arg = value.strip().partition(":")
    kind = kind.strip().lower()
    arg = arg.strip()
    if not sep or kind not in KINDS or not arg:
        raise TenantError(
            f"service {service!r}: {TARGETS} = {value.strip()!r} is not one of schemas:PATTERN, databases:PATTERN, "
            "file:PATH or query:SQL; correct it in the service's section"
        )
    return kind, arg


def _checked(service: str, names: Iterable[str], where: str) -> list[str]:
    seen: set[str] = set()
    out = []
    for name in names:
        why = _native.tenant_name_error(name)
        if why is not None:
            raise TenantError(f"service {service!r}: {where}: {why}")
        if name in seen:
            raise TenantError(
                f"service {service!r}: {where} names the tenant {name!r} twice; each tenant needs one name of its own"
            )
        seen.add(name)
        out.append(name)
    return out


def _dialect(url: str) -> str:
    return url.split(":", 1)[0].split("+", 1)[0].lower()


def resolve_targets(
    service: str,
    option: str,
    *,
    url: str | None,
    targets_url: str | None = None,
    here: str | None = None,
    base_dir: str | None = None,
    timeout: float = 5.0,
) -> list[Target]:
    """Every target of ``service`` whose section says ``monomig.targets = option``, sorted by
    name. ``url`` is the service's own URL (the server of ``schemas:``/``databases:``);
    ``here`` the folder of the config file (``file:`` paths are relative to it)."""
    kind, arg = parse_option(service, option)
    what = f"{TARGETS} = {kind}:{arg}"
    if kind in ("schemas", "databases"):
        if not url:
            raise TenantError(f"service {service!r}: {what} needs the service's database URL, and it has none")
        listed_kind = kind if _dialect(url) == "postgresql" else "databases"
        try:
            names = _native.list_tenant_names(url, listed_kind, base_dir=base_dir, connect_timeout=timeout)
        except _native.MonomigError as e:
            raise TenantError(
                f"service {service!r}: listing the {listed_kind} of its server for {what} failed: "
                f"{_native.mask_password(str(e))}"
            ) from None
        matched = [n for n in names if fnmatch.fnmatchcase(n, arg)]
        if not matched:
            raise TenantError(
                f"service {service!r}: {what} matches no {kind[:-1]} of {_native.mask_password(url)}; "
                f"correct the pattern or create the {kind} first"
            )
        matched = _checked(service, matched, what)
        if kind == "schemas" and listed_kind == "schemas":
            return [Target(service, n, url, n) for n in matched]
        return [Target(service, n, _native.tenant_database_url(url, n)) for n in matched]
    if kind == "file":
        path = arg if os.path.isabs(arg) or here is None else os.path.join(here, arg)
        try:
            with open(path, encoding="utf-8") as f:
                lines = f.read().splitlines()
        except OSError as e:
            raise TenantError(f"service {service!r}: {what}: cannot read {path}: {e.strerror or e}") from None
        pairs: list[tuple[str, str]] = []
        for number, line in enumerate(lines, 1):
            text = re.sub(r"(^|\s)#.*$", "", line).strip()  # comments: '#' at the start or after a space
            if not text:
                continue
            parts = text.split()
            if len(parts) == 1:
                tenant_url = parts[0]
                name = _name_from_url(tenant_url)
            elif len(parts) == 2:
                name, tenant_url = parts
            else:
                raise TenantError(
                    f"service {service!r}: {path}, line {number}: expected `URL` or `NAME URL`, found "
                    f"{len(parts)} words"
                )
            if "://" not in tenant_url:
                raise TenantError(f"service {service!r}: {path}, line {number}: {tenant_url!r} is not a database URL")
            why = _native.tenant_name_error(name)
            if why is not None:
                raise TenantError(f"service {service!r}: {path}, line {number}: {why}")
            pairs.append((name, tenant_url))
        if not pairs:
            raise TenantError(f"service {service!r}: {what}: {path} lists no target")
        _checked(service, [n for n, _ in pairs], f"{path}")
        return sorted((Target(service, n, u) for n, u in pairs), key=lambda t: t.name)
    # query:SQL on the control database
    if not targets_url:
        raise TenantError(
            f"service {service!r}: {what} needs the control database: set {TARGETS_URL} in the service's section"
        )
    try:
        rows = _native.query_tenants(targets_url, arg, base_dir=base_dir, connect_timeout=timeout)
    except _native.MonomigError as e:
        raise TenantError(
            f"service {service!r}: the control database {TARGETS_URL} could not answer {what}: "
            f"{_native.mask_password(str(e))}"
        ) from None
    if not rows:
        raise TenantError(f"service {service!r}: {what} returned no rows")
    _checked(service, [n for n, _ in rows], f"{what}")
    out = []
    for name, value in rows:
        if "://" in value:
            out.append(Target(service, name, value))
        else:
            why = _native.tenant_name_error(value)
            if why is not None:
                raise TenantError(f"service {service!r}: {what}: the schema of tenant {name!r}: {why}")
            if not url:
                raise TenantError(f"service {service!r}: tenant {name!r} is a schema, and the service has no URL")
            out.append(Target(service, name, url, value))
    return sorted(out, key=lambda t: t.name)


def _name_from_url(url: str) -> str:
    """The tenant name of a file line without a name: the database (a SQLite file's stem)."""
    try:
        database = _native.parse_url(url).database or ""
    except _native.MonomigError:
        database = ""
    base = os.path.basename(database)
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return stem


def select(targets: Sequence[Target], names: set[str] | None, pattern: str | None) -> list[Target]:
    """The targets named (``-n service/tenant``) and matching ``--tenant GLOB``."""
    out = list(targets)
    if names:
        known = {t.name for t in out}
        missing = sorted(names - known)
        if missing and targets:
            service = targets[0].service
            raise TenantError(
                f"service {service!r} has no tenant {missing[0]!r} ({len(known)} tenants from its {TARGETS}); "
                f"see them with `monomig status -n {service}`"
            )
        out = [t for t in out if t.name in names]
    if pattern:
        out = [t for t in out if fnmatch.fnmatchcase(t.name, pattern)]
    return out


def split_names(names: Sequence[str] | None) -> tuple[list[str] | None, dict[str, set[str]]]:
    """``-n`` values: the services, and for ``service/tenant`` the tenants asked per service."""
    if not names:
        return None, {}
    services: list[str] = []
    tenants: dict[str, set[str]] = {}
    whole: set[str] = set()
    for n in names:
        svc, sep, tenant = n.partition("/")
        if svc not in services:
            services.append(svc)
        if sep:
            tenants.setdefault(svc, set()).add(tenant)
        else:
            whole.add(svc)
    for svc in whole:
        tenants.pop(svc, None)  # `-n svc` asks for every tenant
    return services, tenants


# --------------------------------------------------------------------------- env.py side


def _x_tenant(context: Any) -> str | None:
    try:
        args = context.get_x_argument(as_dictionary=True)
    except Exception:  # noqa: BLE001 - no command running
        return None
    value = args.get("tenant")
    return value or None


def current_target(service: str | None = None) -> Target | None:
    """The target the running Alembic command migrates, for env.py.

    In a worker of ``monomig upgrade --all`` (or ``status``'s fan-out): the tenant it
    locked. Under ``alembic -n svc -x tenant=NAME ...``: that tenant of the section's
    ``monomig.targets``. None when the command names no tenant."""
    raw = os.environ.get(TARGET_ENV)
    if raw:
        d = json.loads(raw)
        return Target(d["service"], d["name"], d["url"], d.get("schema"))
    from alembic import context

    name = _x_tenant(context)
    if name is None:
        return None
    config = context.config
    section = service or config.config_ini_section
    option = config.get_section_option(section, TARGETS) if config.file_config.has_section(section) else None
    if not option:
        raise TenantError(
            f"-x tenant={name} names a tenant, and service {section!r} has no {TARGETS} in its section of "
            f"{config.config_file_name}; declare its targets (e.g. {TARGETS} = schemas:tenant_*)"
        )
    why = _native.tenant_name_error(name)
    if why is not None:
        raise TenantError(f"service {section!r}: -x tenant={name}: {why}")
    from monomig.urls import resolve_for_config

    _, resolved = resolve_for_config(config, section)
    here = os.path.dirname(os.path.abspath(config.config_file_name)) if config.config_file_name else None
    targets = resolve_targets(
        section,
        option,
        url=resolved.url if resolved else None,
        targets_url=config.get_section_option(section, TARGETS_URL),
        here=here,
    )
    for t in targets:
        if t.name == name:
            return t
    raise TenantError(
        f"service {section!r} has no tenant {name!r} among the {len(targets)} of its {TARGETS} = {option.strip()}; "
        "check the name (or create its schema/database first)"
    )
