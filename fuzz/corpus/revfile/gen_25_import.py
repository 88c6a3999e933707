'''	= orders - Date: 
  Date: {brace} \'quoted\' = Create emoji😀
	merge \u00AB» données merge merge "dq\"
\n
donn\351es tab\there ünïcödé drop -
\n\ndonnées user  \nfix  
  merge 　wide fix {brace}  nbsp'''

import typing
from typing import *


depends_on: Optional[str]  =  "26c8"  # type: ignore

down_revision: Union[str, None]=(None)

revision =	("""4587896799fc""")
