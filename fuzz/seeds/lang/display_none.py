print('printed')
None
