'''doc

more'''
revision = 'a'
down_revision = ('b', 'c')
