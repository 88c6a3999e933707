""""""
from typing import Optional, Sequence, Union, TYPE_CHECKING

from alembic import op
import sqlalchemy as sa

down_revision: Union[str, None]  =  (
    '618c7ec65a\x33f',  # item
)
_s = "# not a comment ([{"
_t = '''multi
line """ string'''

revision =	'aeffcf4b9b61'
branch_labels =	None
depends_on: tuple[str, ...] = \
    []
