'add fix\n\nRevision ID: 6c634be16b3d\nRevises: é144578\nCreate Date: 2024-06-20 10:00:00.000000\n\n'

from typing import Optional, Sequence, Union, TYPE_CHECKING

from alembic import op
import sqlalchemy as sa


down_revision =	U'41ae33aaff71',

# revision = 'fake'
# down_revision = 'fake'


branch_labels: str | tuple[str, ...] | None =	"re" \
    '''le''' \
    r'ase/1249'  # revision identifiers

revision: Optional[str] = (r"03674e4931753791d269074d9451ccd1")
