print('partial output')
x = [1, 2]
x[10]
