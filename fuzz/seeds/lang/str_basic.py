s = 'Hello, World'
print(len(s), s[0], s[-1], s[7:], s[:5], s[::2], s[::-1])
print(s.upper(), s.lower(), s.title(), 'hello world'.capitalize(), s.swapcase())
print(s.replace('l', 'L'), s.replace('l', 'L', 1), s.count('l'), s.find('o'), s.rfind('o'), s.find('z'))
print(s.index('W'), s.startswith('Hell'), s.endswith(('x', 'ld')), s.startswith('World', 7))
