"""doc
"""
revision = 'a'down_revision = ('b', 'c')
