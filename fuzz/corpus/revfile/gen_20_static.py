"Date: x\n\nRevision ID: 4243c239a4131acdc3702eff34f4869b\nRevises: 4b389e72\nCreate Date: 2024-06-20 10:00:00.000000\n\n"


from typing import Optional, Sequence, Union, TYPE_CHECKING

from alembic import op
import sqlalchemy as sa



_bytes = b'\x00\xff' + rb'\d'



_fn = lambda revision: revision



down_revision=[(r"c1a725"
    '892d06'),]


_w = (_x := 3)



revision="""f5e57aea5cc2ea1ac4492e7747d137e5"""
