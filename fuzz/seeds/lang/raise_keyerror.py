raise KeyError('missing')
