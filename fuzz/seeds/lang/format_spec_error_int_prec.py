format(5, '.2d')
