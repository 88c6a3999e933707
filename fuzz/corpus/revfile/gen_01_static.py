'''ID: \U00000063olum\u006E

Revision ID: f1aec544ad77bf39768915e2ed4a2243
R''' \
    '''evises\U0000003a 0af0dc481ee2
Create Date: 2024-06-20 10:00:00.000000

'''

from typing import (
    Optional,
    Sequence,
    Union,
    TYPE_CHECKING,
)
from alembic import op


_w = (_x := 3)


_ns = type('NS', (), {})()
_ns.revision = 'attribute'
_ns.down_revision = None


revision: 'str'=r"3f7e"

class _C:
    """Doc."""

    def m(self):
        revision = self
        return revision


branch_labels: Union[str, None] = None

down_revision: str = [("005" '''1e467ab4a'''), """e098""", """3544242b30e5"""]  # revision identifiers
