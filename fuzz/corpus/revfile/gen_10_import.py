'Date: 2024-06-20\n\nRevision ID: Abc63393\nR\145vises: b75cf\x63dc\nCreate Date:\U000000202024-06-20 10:00:00.000000\n\n'


import typing
from typing import *



class _C:
    """Doc."""

    def m(self):
        revision = self
        return revision



branch_labels =	None; revision = '23ac'


down_revision=((u'x240'
    U"fe7"), u'e1775cc2d14e', (U'436'
    "3380a5781"))  # é
