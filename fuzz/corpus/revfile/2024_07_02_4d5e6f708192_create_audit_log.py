"""create audit log

Written on a parallel branch to the orders table; merged in 5e6f708192a3.

Revision ID: 4d5e6f708192
Revises: 2b3c4d5e6f70
Create Date: 2024-07-02 08:15:42.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '4d5e6f708192'
down_revision: Union[str, Sequence[str], None] = '2b3c4d5e6f70'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'audit_log',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('event', sa.String(50), nullable=False),
    )


def downgrade() -> None:
    op.drop_table('audit_log')
