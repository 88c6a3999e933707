"""index orders by user

Revision ID: 6f708192a3b4
Revises: 5e6f708192a3
Create Date: 2024-07-10 16:30:12.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '6f708192a3b4'
down_revision: Union[str, Sequence[str], None] = '5e6f708192a3'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index('ix_orders_user_id', 'orders', ['user_id'])


def downgrade() -> None:
    op.drop_index('ix_orders_user_id', table_name='orders')
