"""service_one's settings. DB_URL is read by migrations/env.py and by monomig."""

from sqlalchemy.engine import make_url

# A SQLite file under the repository (var/ is ignored by git). Relative to the
# folder alembic.ini lives in, where every command is run from.
DB_URL = make_url("sqlite:///var/service_one.db")
