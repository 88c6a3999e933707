"""The shared migration environment of the demo monorepo.

Alembic runs it for every service (`alembic -n service_one upgrade head`):
monomig.run_env() takes the service from -n, its database URL from
services/<service>/config.py (or MONOMIG_URL_<SERVICE>), target_metadata from
services/<service>/models.py, and runs online or offline (--sql). The seed
article's longer env.py, which this replaces, is kept in tests/fixtures/bridge/.
"""

import monomig

monomig.run_env()
