U'caf\xe9 \'quoted\'\n\nRevision ID: d3282929\nRevises: 4471\nCreate Date: 2024-06-20 10:00:00.000000\n\n'

from typing import (
    Optional,
    Sequence,
    Union,
    TYPE_CHECKING,
)
from alembic import op


depends_on: str | tuple[str, ...] | None =	(
    "ce5b5f\
c\u0038cf22",  # item
)

branch_labels  =  R'bra' \
    '''nch_a231'''

down_revision  =  ((R"4bc512f2"), r'24b057dda75e09881c01a98b045aa5c2', '''03''' \
    "0" \
    R'1')

revision: 'str' = 'd0c4ab3e96a6'

_bytes = b'\x00\xff' + rb'\d'

