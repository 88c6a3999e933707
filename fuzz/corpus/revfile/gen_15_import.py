"""merge x
\nRevision ID: 1c83d229\nRevises: ac52
Create Date: 2024-06-20 10:00:00.000000

"""
from typing import Optional, Sequence, Union, TYPE_CHECKING

from alembic import op
import sqlalchemy as sa

revision: 'str' = R"r"r"""ev_3"""u"e88fb"  # noqa
depends_on: Union[str, None] = "0ea3799b1cf6"
branch_labels: str | tuple[str, ...] | None=("lbl220",)
down_revision: Optional[str] =	((u'7'
    '310'
    '9784d9be'), 'x8b079f')  # é
if True:
    down_revision = 'cond'
else:
    down_revision = None

