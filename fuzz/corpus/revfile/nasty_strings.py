revision = "a" 'b' """c""" r'\d' b"x"
down_revision = f"{x}"
branch_labels = u"\N{LATIN SMALL LETTER E WITH ACUTE}" "\x41\u00e9\U0001F600\777"
