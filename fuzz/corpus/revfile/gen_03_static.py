
"{brace} ; 　wide (paren Revises: add\n  Date: Create ID:\n \n	ünïcödé\nemoji😀 \n\u0061dd add fix fix  "; _after_doc = 1
from typing import (
    Optional,
    Sequence,
    Union,
    TYPE_CHECKING,
)
from alembic import op

revision: str | tuple[str, ...] | None  =  '1a5bfd6' r"""d"""  # noqa
depends_on  =  None
class _C:
    """Doc."""

    def m(self):
        revision = self
        return revision

down_revision  =  ()
