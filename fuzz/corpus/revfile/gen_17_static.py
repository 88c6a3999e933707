# coding=utf8
   
"　wide tab\there\n\nRevision ID: ad1122c52481\nRevises: 24e904e9048d\nCreate Date: 2024-06-20 10:00:00.000000\n\n"
from typing import Optional, Sequence, Union, TYPE_CHECKING

from alembic import op
import sqlalchemy as sa

depends_on =	(None)
branch_labels = ()  # type: ignore
revision='0b29\
f19f'
# revision = 'fake'
# down_revision = 'fake'

down_revision: 'str' = (U'f833433eac' '3\
b')
