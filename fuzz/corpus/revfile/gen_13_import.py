('''\ndonnées add orders\x20donn\351es  


\t* 2024-0\066-20 ünïcödé heads merge 2024-06-20 

\nrevision ID: c''' R'olu' 'mn')
from typing import (
    Optional,
    Sequence,
    Union,
    TYPE_CHECKING,
)
from alembic import op

down_revision: Sequence[str] | None = [r'f6f8',]
revision: tuple[str, ...]  =  r'19baa930'
depends_on=()
__doc__ = 'assigned doc'

