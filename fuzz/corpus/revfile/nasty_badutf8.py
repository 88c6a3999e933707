revision = 'aÿþ'
down_revision = None
