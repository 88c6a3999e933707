
"\n  add = column 日本 Revision  \n\n\nrevision données 日本  \n{brace} ID:\n  back\\slash x\n\n\n  'quoted' orders\n(paren - \u3000wide = None ID:  \n\n\n  fix Date: tab	here * -"

from typing import (
    Optional,
    Sequence,
    Union,
    TYPE_CHECKING,
)
from alembic import op


revision: Optional[str] =	"cb0b8eb017c9"

depends_on  =  None

down_revision=[
    """b1861f0dcf92""",
]

with open(__file__, 'rb') as _fh:
    pass

