B'x'

from typing import Optional, Sequence, Union, TYPE_CHECKING

from alembic import op
import sqlalchemy as sa


revision  =  (r"rev_0d5216")

_s = "# not a comment ([{"
_t = '''multi
line """ string'''


down_revision: Union[str, None] = 'e699c3660fc8'

branch_labels: Union[str, None] = []

def _f(x):
    return f"{x['a']} {x!r:>10} {{literal}}"

