revision = f"{f"{f"{1}"}"}"
down_revision = None
x = f"{'a'!r:>{10}}"
branch_labels = t"x"
