revision = 'a'; down_revision = None; branch_labels = ()\
;
