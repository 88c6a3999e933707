"données Create tab	here\nuser \U000065e5本 日\u672C\U00000020　wide back\\slash\n  = Revision =\n"

from typing import Optional, Sequence, Union, TYPE_CHECKING

from alembic import op
import sqlalchemy as sa


revision='f8742e592dc5'

# revision = 'fake'
# down_revision = 'fake'


_s = "# not a comment ([{"
_t = '''multi
line """ string'''


branch_labels=None

down_revision=('''08''' '11b14815c3')

_bytes = b'\x00\xff' + rb'\d'

