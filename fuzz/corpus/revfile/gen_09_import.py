'     merge "dq" (paren ; \n\ttable Revision back\\slash données\n \nuser fix données\n \ndrop {brace} orders \'quoted\' ID: -  \n  　wide \n \nrevision\n\tNone merge tab\there Create {brace} fix  \nfix '


from typing import Optional, Sequence, Union, TYPE_CHECKING

from alembic import op
import sqlalchemy as sa



branch_labels=('branch_a239', '''d\U000000e9p'''R"ôt55")


down_revision: 'str' =	R"""a b c9328"""


class _Meta:
    revision = 'class attribute'
    down_revision: str = 'x'



revision: Optional[str] =	r"""decoyaf9551d403ed"""  # noqa


_names = [n for n in ('a', 'b') if n]
_squares = {k: k * k for k in range(3)}



revision: tuple[str, ...]  =  '''af9551d403ed'''


global _g
_g = 1

