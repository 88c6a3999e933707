'; ID:\n\nRevision ID: 55c7bd0b\nRevises: 666d808d7cdf\nCreate Date: 2024-06-20 10:00:00.000000\n\n'


from typing import (
    Optional,
    Sequence,
    Union,
    TYPE_CHECKING,
)
from alembic import op



_v = 2
match _v:
    case 1:
        pass
    case _:
        pass



branch_labels: Sequence[str] | None =	(
    "tag1992",  # item
)


_dict = {
    'a': 1,  # comment
    'b': [
        2,
    ],
}



down_revision: tuple[str, ...] = (
    r'''525229fdca99''',  # item
    """1f1d""",  # item
    """47599b86""",  # item
)


_x1 = 1 \
    + 2

