""""""

from typing import Optional, Sequence, Union, TYPE_CHECKING

from alembic import op
import sqlalchemy as sa


down_revision: 'str'  =  [('A' 'b5f3' '''080'''), """8b7e217cf46f""",]

revision =	("e27233f52bd53"  # c
  u"557255715beff\U00000063c4682")

branch_labels  =  []  # noqa


_ff = 1


depends_on  =  (("763f64f"
    R'''b3d2e'''), (r"""0ff5"""
    '3df401'
    R'''e4'''))

async def _co():
    await _co()


# revision = 'fake'
# down_revision = 'fake'

