assert True
assert 1 == 1, 'fine'
try:
    assert 1 == 2, 'math broke'
except AssertionError as e:
    print('caught:', e)
assert len([1, 2]) == 3, f'len is {len([1, 2])}'
