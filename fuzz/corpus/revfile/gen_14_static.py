   
from typing import Optional, Sequence, Union, TYPE_CHECKING

from alembic import op
import sqlalchemy as sa

depends_on: Union[str, Sequence[str], None] = \
    None
revision  =  R"b" "fd6512ad4d367515bf3119f38e197a9"
down_revision: tuple[str, ...] =	[(r'''1592'''), ('a0' U'''37'''),]
_doc = """
revision = 'in a string'
"""

