if x:
	if y:
        	pass
revision='a'
