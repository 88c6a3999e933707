# vim: set fileencoding=UTF-8 :
"doc".strip()

from typing import Optional, Sequence, Union, TYPE_CHECKING

from alembic import op
import sqlalchemy as sa


branch_labels: str = (None)

revision =	U"f0f54" \
    """f30"""  # é

down_revision: Sequence[str] | None =	()

@staticmethod
def _st():
    pass

