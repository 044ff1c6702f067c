try:
    1/0
except ValueError:
    print('no')
