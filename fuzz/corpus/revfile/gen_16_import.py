"ünïcö\N{LATIN SMALL LETTER D}é (paren\n\nRevision ID: 4d2b1273e38b\U00000066edb2c683f2b05322b0a\nRevises: 4127\nCreate Date: 2024-06-20 10:00:00.000000\n\n"

from typing import (
    Optional,
    Sequence,
    Union,
    TYPE_CHECKING,
)
from alembic import op


down_revision: Union[str, Sequence[str], None]  =  ('97e585' """2f5848""")

_doc = """
revision = 'in a string'
"""


revision: str | tuple[str, ...] | None =	'''fa'''"a52dd"'''0'''

branch_labels=[]

__doc__ = 'assigned doc'

