try:
    print("int('0x10', 16)", '->', repr(int('0x10', 16)))
except Exception as e:
    print("int('0x10', 16)", '!!', type(e).__name__, e)
try:
    print("int('0b1', 16)", '->', repr(int('0b1', 16)))
except Exception as e:
    print("int('0b1', 16)", '!!', type(e).__name__, e)
try:
    print("int('0x_1f', 16)", '->', repr(int('0x_1f', 16)))
except Exception as e:
    print("int('0x_1f', 16)", '!!', type(e).__name__, e)
try:
    print("int('0_7', 0)", '->', repr(int('0_7', 0)))
except Exception as e:
    print("int('0_7', 0)", '!!', type(e).__name__, e)
try:
    print("int('00', 0)", '->', repr(int('00', 0)))
except Exception as e:
    print("int('00', 0)", '!!', type(e).__name__, e)
try:
    print("int('0o17', 0)", '->', repr(int('0o17', 0)))
except Exception as e:
    print("int('0o17', 0)", '!!', type(e).__name__, e)
try:
    print("int('0O17', 8)", '->', repr(int('0O17', 8)))
except Exception as e:
    print("int('0O17', 8)", '!!', type(e).__name__, e)
try:
    print("int('-0x' + 'f' * 30, 0)", '->', repr(int('-0x' + 'f' * 30, 0)))
except Exception as e:
    print("int('-0x' + 'f' * 30, 0)", '!!', type(e).__name__, e)
try:
    print("int('  +42  ')", '->', repr(int('  +42  ')))
except Exception as e:
    print("int('  +42  ')", '!!', type(e).__name__, e)
try:
    print("int('1__0')", '->', repr(int('1__0')))
except Exception as e:
    print("int('1__0')", '!!', type(e).__name__, e)
try:
    print("int('_1')", '->', repr(int('_1')))
except Exception as e:
    print("int('_1')", '!!', type(e).__name__, e)
try:
    print("int('0x', 16)", '->', repr(int('0x', 16)))
except Exception as e:
    print("int('0x', 16)", '!!', type(e).__name__, e)
try:
    print("int('10', 1)", '->', repr(int('10', 1)))
except Exception as e:
    print("int('10', 1)", '!!', type(e).__name__, e)
try:
    print("int('10', 37)", '->', repr(int('10', 37)))
except Exception as e:
    print("int('10', 37)", '!!', type(e).__name__, e)
try:
    print("int('z', 36)", '->', repr(int('z', 36)))
except Exception as e:
    print("int('z', 36)", '!!', type(e).__name__, e)
try:
    print("int(' 1_000 ', 0)", '->', repr(int(' 1_000 ', 0)))
except Exception as e:
    print("int(' 1_000 ', 0)", '!!', type(e).__name__, e)
try:
    print("int('12', base=0)", '->', repr(int('12', base=0)))
except Exception as e:
    print("int('12', base=0)", '!!', type(e).__name__, e)
try:
    print("int('9' * 4300) % 97", '->', repr(int('9' * 4300) % 97))
except Exception as e:
    print("int('9' * 4300) % 97", '!!', type(e).__name__, e)
try:
    print("int('0b' + '1' * 5000, 0) % 97", '->', repr(int('0b' + '1' * 5000, 0) % 97))
except Exception as e:
    print("int('0b' + '1' * 5000, 0) % 97", '!!', type(e).__name__, e)
try:
    print("int('1e5')", '->', repr(int('1e5')))
except Exception as e:
    print("int('1e5')", '!!', type(e).__name__, e)
try:
    print("int('')", '->', repr(int('')))
except Exception as e:
    print("int('')", '!!', type(e).__name__, e)
try:
    print('-9223372036854775808', '->', repr(-9223372036854775808))
except Exception as e:
    print('-9223372036854775808', '!!', type(e).__name__, e)
try:
    print('type(-9223372036854775808)', '->', repr(type(-9223372036854775808)))
except Exception as e:
    print('type(-9223372036854775808)', '!!', type(e).__name__, e)
try:
    print('-9223372036854775809', '->', repr(-9223372036854775809))
except Exception as e:
    print('-9223372036854775809', '!!', type(e).__name__, e)
try:
    print('0x_FFFF_FFFF_FFFF_FFFF_FFFF', '->', repr(0x_FFFF_FFFF_FFFF_FFFF_FFFF))
except Exception as e:
    print('0x_FFFF_FFFF_FFFF_FFFF_FFFF', '!!', type(e).__name__, e)
