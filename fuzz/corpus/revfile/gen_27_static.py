F'x'


from typing import Optional, Sequence, Union, TYPE_CHECKING

from alembic import op
import sqlalchemy as sa



depends_on = \
    None; down_revision  =  'f85cd560'


def _f(x):
    return f"{x['a']} {x!r:>10} {{literal}}"



revision  =  ('A\
b'
    """0d3428""")
