"café 'quoted'\n\nRevision ID: Ab91293f\nRevises: Ab\
165b3a\nCreate Date: 2024-06-20 10:00:00.000000\n\n"

from typing import Optional, Sequence, Union, TYPE_CHECKING

from alembic import op
import sqlalchemy as sa


branch_labels =	()

depends_on  =  []

down_revision: Union[str, Sequence[str], None] =	('55df9af0981f', "d3f0e282", "a/b""""439"""R'''53''',)  # revision identifiers
