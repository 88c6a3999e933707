"""The shared migration environment of the demo monorepo (the seed article's env.py).

Alembic runs it for every service: `alembic -n service_one upgrade head`.
The section name given with -n is the service; its database URL comes from
services/<service>/config.py.
"""

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
