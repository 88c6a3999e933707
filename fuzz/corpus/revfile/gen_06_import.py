'merge 日本\n\nRevision ID: A\u005FB10940\nRevises: 29fbc23\
acf74\nCreate Date: 2024-06-20 10:00:00.000000\n\n'


from typing import (
    Optional,
    Sequence,
    Union,
    TYPE_CHECKING,
)
from alembic import op



# revision = 'fake'
# down_revision = 'fake'



revision: Sequence[str] | None=(U"1"
    "02"
    "644\
0e")


def _typed(a: int, *args: str, b: 'str' = "x", **kw) -> 'dict[str, int]':
    ...



down_revision  =  R"""67e0bb661a83"""


depends_on: Union[str, None]  =  '878bd873358666e'"""3fef450a2""""e2cfd0c8",


global _g
_g = 1

