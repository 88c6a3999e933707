"""The env.py files of every generated test and benchmark project, from one source.

Two environments, both in the style of Alembic's generic template:

- :func:`seed_env_py`: the seed article's env.py (the service is the ``-n`` section,
  its URL comes from ``services/<service>/config.py``, ``target_metadata`` from
  ``services/<service>/models.py``). Used by ``bench/generate.py`` (with
  ``bench_bridge=True``: ``MONOMIG_BENCH_BRIDGE`` loads the bridge first) and by the
  bridge's differential tests (``tests/support/bridge_repo.py``).
- :func:`section_env_py`: the URL is the ini section's ``sqlalchemy.url``, online or
  offline (``--sql``). Used by the fleet, CLI and corrupt-repository builders
  (``tests/support/fleet_repo.py``); ``fleet=True`` adds what the fleet tests drive
  through ``-x`` (``fail=<service>``, ``show_lock=<file>``), the section's version
  table options and Alembic's INFO log lines.

This file is imported by path from ``bench/generate.py`` too, so it imports nothing
but the standard library.
"""

from __future__ import annotations

_BENCH_BRIDGE = """
import os

# Benchmarks: MONOMIG_BENCH_BRIDGE=1 loads monomig's Alembic bridge first (any
# other value names the module to import instead).
if os.environ.get("MONOMIG_BENCH_BRIDGE"):
    import importlib as _importlib

    _bridge = os.environ["MONOMIG_BENCH_BRIDGE"]
    _importlib.import_module("monomig" if _bridge in ("1", "true", "yes") else _bridge)
"""

_SEED_BODY = """
from logging.config import fileConfig
import importlib

from alembic import context
from sqlalchemy import engine_from_config, pool

# Load Alembic config
config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name)

# Get the target service from the config section
service = config.config_ini_section

try:
    # Dynamically import the DB_URL from the service's config
    service_module = importlib.import_module(f"services.{service}.config")
    db_url = service_module.DB_URL.render_as_string(hide_password=False)
    config.set_main_option("sqlalchemy.url", db_url.replace("%", "%%"))
except ImportError:
    raise ValueError(f"Invalid service '{service}' specified.")

try:
    target_metadata = importlib.import_module(f"services.{service}.models").metadata
except ImportError:
    target_metadata = None


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
"""


def seed_env_py(*, bench_bridge: bool = False, bridge_import: bool = False) -> str:
    """The seed article's env.py; ``bridge_import``: ``import monomig`` first (the opt-in)."""
    doc = (
        '"""The shared migration environment (the seed article\'s env.py).\n\n'
        "The section name given with -n is the service; its database URL comes from\n"
        'services/<service>/config.py.\n"""\n'
    )
    head = "import monomig  # the Alembic bridge\n" if bridge_import else ""
    return head + doc + (_BENCH_BRIDGE if bench_bridge else "") + _SEED_BODY


_SECTION_HEAD = """\
from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config
"""

_FLEET_SETUP = """\
logging.basicConfig(level=logging.WARNING, format="%(levelname)-5.5s [%(name)s] %(message)s")
logging.getLogger("alembic").setLevel(logging.INFO)
version_table = config.get_main_option("version_table") or "alembic_version"
version_table_schema = config.get_main_option("version_table_schema") or None
if context.get_x_argument(as_dictionary=True).get("show_lock"):
    import os
    with open(context.get_x_argument(as_dictionary=True)["show_lock"], "w") as f:
        f.write(os.environ.get("MONOMIG_LOCK_HELD", ""))
if context.get_x_argument(as_dictionary=True).get("fail") == config.config_ini_section:
    raise RuntimeError("failing on request (-x fail=" + config.config_ini_section + ")")
"""

_SECTION_RUN = """

def run_migrations_offline():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        literal_binds=True,{offline_opts}
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {{}}), prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with engine.connect() as connection:
        context.configure(
            connection=connection,{online_opts}
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
"""

_FLEET_OFFLINE = """
        version_table=version_table,
        version_table_schema=version_table_schema,"""
_FLEET_ONLINE = """
            version_table=version_table,
            version_table_schema=version_table_schema,
            transaction_per_migration=config.get_main_option("transaction_per_migration") == "true","""


def section_env_py(*, fleet: bool = True) -> str:
    """An env.py that migrates the ini section's ``sqlalchemy.url``."""
    head = "import logging\n\n" + _SECTION_HEAD + _FLEET_SETUP if fleet else _SECTION_HEAD
    return head + _SECTION_RUN.format(
        offline_opts=_FLEET_OFFLINE if fleet else "",
        online_opts=_FLEET_ONLINE if fleet else "",
    )


#: The logging sections of the generated alembic.ini files (Alembic's generic template's):
#: warnings from the root logger, Alembic's INFO lines on stderr.
INI_LOGGING = """\
[loggers]
keys = root,sqlalchemy,alembic

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARNING
handlers = console
qualname =

[logger_sqlalchemy]
level = WARNING
handlers =
qualname = sqlalchemy.engine

[logger_alembic]
level = INFO
handlers =
qualname = alembic

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(levelname)-5.5s [%(name)s] %(message)s
datefmt = %H:%M:%S
"""
