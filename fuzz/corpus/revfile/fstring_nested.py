revision = 'a'
down_revision = None
def f(x):
    return f"{x['k']} {x!r:>{10}} {{}}"
