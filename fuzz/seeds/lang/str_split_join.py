print('a b  c '.split(), 'a,b,,c'.split(','), 'a,b,c'.split(',', 1), ''.split(), ''.split(','))
print('  x y  '.split(None, 1), 'a b c'.rsplit(' ', 1), 'line1\nline2\n'.splitlines())
print('-'.join(['a', 'b', 'c']), ''.join(reversed('abc')), ', '.join(str(i) for i in range(3)))
print('key=value=x'.partition('='), 'abc'.partition('z'), 'a.b.c'.rpartition('.'))
