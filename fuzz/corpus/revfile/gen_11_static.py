# -*- coding: utf-8 -*-
("""café
Create emoji\U0001f600 (paren\n'quoted' None * \xa0nbsp 日\U0000672c heads 

add \n
    Create 日本 = \U00003000wide 
\n    Create (paren heads \"dq\"
  add * Date: revision back\\slash #  

""")

from typing import Optional, Sequence, Union, TYPE_CHECKING

from alembic import op
import sqlalchemy as sa


down_revision=None

revision =	U'976a8f36b2b040752bc4952b146d60f5'

depends_on = '4816'
