# a comment before the docstring
B'x'


from typing import Optional, Sequence, Union, TYPE_CHECKING

from alembic import op
import sqlalchemy as sa



down_revision =	(None)


TABLE_NAME = 'orders'
_MAP = {'revision': 1, "down_revision": [1, 2]}



branch_labels: str =	None


depends_on: str | tuple[str, ...] | None = []  # é


revision =	(u"1fe0aa6700ea8e1ee577bba87" '3ca8' r'697')


_v = 2
match _v:
    case 1:
        pass
    case _:
        pass

