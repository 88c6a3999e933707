"""``monomig.run_env()``: a complete Alembic env.py for a monorepo.

A new project's ``migrations/env.py`` is two lines::

    import monomig
    monomig.run_env()

For ``alembic -n <service> ...`` it does what the seed article's env.py does, with
each convention overridable by a keyword argument:

- the service is the ini section given with ``-n`` (``config.config_ini_section``);
- the database URL comes from :func:`monomig.url_for` (the resolution of the fleet
  commands, :func:`monomig.urls.resolve_url`): the environment
  variable ``MONOMIG_URL_<SERVICE>``, ``services.<service>.config.DB_URL``, the
  section's ``sqlalchemy.url``, then ``[alembic]``'s ``sqlalchemy.url``;
- ``target_metadata`` is ``services.<service>.models.metadata`` when that module
  exists (``None`` otherwise);
- the version table is the section's ``version_table`` / ``version_table_schema``
  (Alembic's ``alembic_version`` by default);
- offline (``--sql``) or online, as Alembic was asked; the logging setup of the ini
  file is applied first, as in the seed's env.py;
- a tenant (:func:`monomig.current_target`: the target of a ``monomig upgrade --all``
  worker, or ``-x tenant=NAME`` for a service with ``monomig.targets``): a database
  tenant's URL; a schema tenant's ``search_path`` and ``version_table_schema`` set to its
  schema (see docs/tenants.md).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["run_env"]

_DEFAULT: Any = object()


def _option(config: Any, section: str, key: str) -> str | None:
    if not config.file_config.has_section(section):
        return None
    return config.get_section_option(section, key) or None


def run_env(
    *,
    service: str | None = None,
    url: str | None = None,
    url_module: str | None = "services.{service}.config",
    url_attribute: str = "DB_URL",
    target_metadata: Any = _DEFAULT,
    models_module: str | None = "services.{service}.models",
    version_table: str | None = None,
    version_table_schema: str | None = None,
    configure_logging: bool = True,
    offline: bool | None = None,
    engine_options: Mapping[str, Any] | None = None,
    configure: Mapping[str, Any] | None = None,
    process_revision_directives: Callable[..., Any] | None = None,
) -> None:
    """Run the migrations of the current ``alembic -n <service>`` command.

    Keyword arguments override the conventions: ``service`` (default: the ``-n``
    section), ``url`` (default: :func:`monomig.urls.resolve_url`, reading
    ``url_module``'s ``url_attribute``), ``target_metadata`` (default: the
    ``metadata`` of ``models_module`` if it exists), ``version_table`` /
    ``version_table_schema`` (default: the section's keys), ``offline`` (default:
    ``--sql``), ``engine_options`` (extra ``create_engine`` arguments),
    ``configure`` (extra ``context.configure`` arguments), and
    ``process_revision_directives``.
    """
    from alembic import context

    from monomig import ConfigError
    from monomig.urls import no_url_message, resolve_for_config

    config = context.config
    if configure_logging and config.config_file_name is not None:
        from logging.config import fileConfig

        fileConfig(config.config_file_name)

    svc = service or config.config_ini_section
    section = config.config_ini_section

    from monomig.tenants import current_target

    tenant = current_target(svc) if service is None or service == section else None
    if tenant is not None and url is None:
        url = tenant.url
    if url is None:
        # The resolution of monomig.url_for and `monomig upgrade --all`: env.py migrates
        # the database the fleet commands read and lock.
        svc, resolved = resolve_for_config(config, svc, module=url_module, attribute=url_attribute)
        if resolved is None:
            raise ConfigError(no_url_message(svc, url_module) + f" of {config.config_file_name}")
        url = resolved.url

    if target_metadata is _DEFAULT:
        target_metadata = None
        if models_module:
            name = models_module.format(service=svc)
            try:
                spec = importlib.util.find_spec(name)
            except (ImportError, ValueError):
                spec = None
            if spec is not None:
                target_metadata = getattr(importlib.import_module(name), "metadata", None)

    opts: dict[str, Any] = {"target_metadata": target_metadata}
    vt = version_table or _option(config, section, "version_table")
    vts = version_table_schema or _option(config, section, "version_table_schema")
    if tenant is not None and tenant.schema is not None and version_table_schema is None:
        vts = tenant.schema
    if vt:
        opts["version_table"] = vt
    if vts:
        opts["version_table_schema"] = vts
    if process_revision_directives is not None:
        opts["process_revision_directives"] = process_revision_directives
    opts.update(configure or {})

    is_offline = context.is_offline_mode() if offline is None else offline
    if is_offline:
        opts.setdefault("literal_binds", True)
        opts.setdefault("dialect_opts", {"paramstyle": "named"})
        context.configure(url=url, **opts)
        with context.begin_transaction():
            context.run_migrations()
        return

    from sqlalchemy import engine_from_config, pool

    # The section's other sqlalchemy.* keys apply, as with the seed's engine_from_config.
    engine_config = dict(config.get_section(section, {}) if config.file_config.has_section(section) else {})
    engine_config["sqlalchemy.url"] = url
    engine = engine_from_config(
        engine_config, prefix="sqlalchemy.", poolclass=pool.NullPool, **dict(engine_options or {})
    )
    try:
        with engine.connect() as connection:
            if tenant is not None and tenant.schema is not None and connection.dialect.name == "postgresql":
                # The tenant's schema first: unqualified names in the revisions are its tables.
                quoted = connection.dialect.identifier_preparer.quote_identifier(tenant.schema)
                connection.exec_driver_sql(f"SET search_path TO {quoted}")
                if connection.in_transaction():
                    connection.commit()
            context.configure(connection=connection, **opts)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()
