# -*- coding: latin-1 -*-
revision = 'é'
down_revision = None
