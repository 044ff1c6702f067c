'{name}'.format(age=1)
