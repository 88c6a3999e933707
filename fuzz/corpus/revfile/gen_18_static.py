F'x'

from typing import (
    Optional,
    Sequence,
    Union,
    TYPE_CHECKING,
)
from alembic import op


revision  =  '''05f9e22cf6db'''  # revision identifiers

down_revision: Optional[str] = ['e8a9acb\u00618440',]

revision =	('decoy0'
    '5f9e22cf6db')  # type: ignore

branch_labels  =  (None)


_ff = 1

