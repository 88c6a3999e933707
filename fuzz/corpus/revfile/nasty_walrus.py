revision = (x := 'a')
down_revision = lambda: None
depends_on = [*a]
branch_labels = ...
