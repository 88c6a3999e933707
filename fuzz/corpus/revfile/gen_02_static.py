# coding=utf8
'''
  	naïve donn\xe9es orders (paren * 
	merge emoji😀 
    back\\slash = index café \240nbsp 
\n  \'quoted\' * tab	here \U00003000wide caf\xe9\nRevision «» heads revision index  
'''


from typing import (
    Optional,
    Sequence,
    Union,
    TYPE_CHECKING,
)
from alembic import op



depends_on: str | tuple[str, ...] | None=('a131525f', ('a6abde39'
    "11a9"))  # revision identifiers


down_revision  =  "5ae08e9df0b3"


branch_labels: Union[str, None] = ('f'
    '''eatu'''
    r're114'), r'''fea'''"ture1"R'67'


revision: 'str' = '488\065ee914f14'
