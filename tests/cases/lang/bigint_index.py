print([1, 2, 3][2**70:], [1, 2, 3][:-2**70], 'abc'[-2**70:2**70], (1, 2, 3)[::2**63 - 1])
try:
    range(10)[2**70]
except IndexError as e:
    print('IndexError', e)
try:
    'abc'[2**70]
except IndexError as e:
    print('IndexError', e)
[1, 2][2**64]
