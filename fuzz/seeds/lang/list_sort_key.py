words = ['banana', 'Apple', 'cherry', 'date', 'fig']
print(sorted(words), sorted(words, key=str.lower), sorted(words, key=len), sorted(words, key=len, reverse=True))
pairs = [(2, 'b'), (1, 'z'), (2, 'a'), (1, 'a')]
print(sorted(pairs), sorted(pairs, key=lambda p: p[0]), sorted(pairs, key=lambda p: p[1], reverse=True))
print(sorted([3.5, 1, 2.25, -1]), sorted({'b': 1, 'a': 2}), sorted([True, False, 2]))
