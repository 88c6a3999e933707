revision = 'abc'
down_revision = ('a', 'b',)
branch_labels = {'x', 'y'}
depends_on = ['q', ('r')]
revision: str = 'def'
down_revision, x = 1, 2
