"""\U00003000wide revision

Revision ID: 8eb434db256\u0036
Revises: 日本156379
Create Date: 2024-06-20 10:00:00.000000

"""


from typing import Optional, Sequence, Union, TYPE_CHECKING

from alembic import op
import sqlalchemy as sa



@staticmethod
def _st():
    pass



revision: Sequence[str] | None = 'c7026d12d323'


branch_labels =	r"""dépôt594"""


down_revision =	(
    "58048781",  # item
)
