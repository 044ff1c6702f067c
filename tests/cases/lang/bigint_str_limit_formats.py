try:
    print("format(2**20000, ',')", '->', repr(format(2**20000, ',')))
except Exception as e:
    print("format(2**20000, ',')", '!!', type(e).__name__, e)
try:
    print("'%d' % 10**5000", '->', repr('%d' % 10**5000))
except Exception as e:
    print("'%d' % 10**5000", '!!', type(e).__name__, e)
try:
    print("len(f'{10**5000:x}')", '->', repr(len(f'{10**5000:x}')))
except Exception as e:
    print("len(f'{10**5000:x}')", '!!', type(e).__name__, e)
try:
    print("format(10**5000, 'e')", '->', repr(format(10**5000, 'e')))
except Exception as e:
    print("format(10**5000, 'e')", '!!', type(e).__name__, e)
try:
    print("len('%x' % 10**5000)", '->', repr(len('%x' % 10**5000)))
except Exception as e:
    print("len('%x' % 10**5000)", '!!', type(e).__name__, e)
try:
    print('str(-10**4300)', '->', repr(str(-10**4300)))
except Exception as e:
    print('str(-10**4300)', '!!', type(e).__name__, e)
try:
    print('len(repr(-10**4299))', '->', repr(len(repr(-10**4299))))
except Exception as e:
    print('len(repr(-10**4299))', '!!', type(e).__name__, e)
try:
    print("len(f'{-10**4299:+,}')", '->', repr(len(f'{-10**4299:+,}')))
except Exception as e:
    print("len(f'{-10**4299:+,}')", '!!', type(e).__name__, e)
