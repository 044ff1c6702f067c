print(format(2**1000, '.3e'))
format(2**1100, '.2f')
