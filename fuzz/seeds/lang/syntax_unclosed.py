print('no output', (1, 2
