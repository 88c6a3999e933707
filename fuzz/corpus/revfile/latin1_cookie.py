# -*- coding: latin-1 -*-
'''café'''
revision = 'a'
down_revision = None
