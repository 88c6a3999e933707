""""""

from typing import Optional, Sequence, Union, TYPE_CHECKING

from alembic import op
import sqlalchemy as sa


branch_labels: Sequence[str] | None  =  ()

down_revision: str = \
    (
    R'rev_dde3e0',  # item
)

revision  =  "83b9768784ff93de561aff5285fc16da"

class _C:
    """Doc."""

    def m(self):
        revision = self
        return revision


_n = [1if True else 2]

