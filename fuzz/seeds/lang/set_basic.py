s = {3, 1, 2, 3, 1}
print(len(s), 2 in s, 5 in s, sorted(s))
s.add(4); s.discard(10); s.remove(1)
print(sorted(s))
a = {1, 2, 3}
b = {2, 3, 4}
print(sorted(a | b), sorted(a & b), sorted(a - b), sorted(a ^ b))
print(sorted(a.union([9])), sorted(a.intersection(b)), sorted(a.difference(b)), a.issubset({1, 2, 3, 4}), a <= b, {1} < a)
print(set(), set([1, 1]), {1}, len(set('hello')))
