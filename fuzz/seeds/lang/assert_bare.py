assert 0
