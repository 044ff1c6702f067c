d = {'x': 1, 'y': 2, 'z': 3}
for k in d:
    print(k, d[k])
for k, v in d.items():
    print(k, '->', v)
print([k for k in d.keys()], sum(d.values()), len(d.items()))
print(sorted(d.items(), key=lambda kv: -kv[1]))
print(d.popitem(), d)
