d = {"a": 1}
print(d.setdefault("b", 2), d.setdefault("a", 9), d)
d.update(c=3, a=0)
print(d, d.get("z"), d.pop("c"), list(d.items()))
print(dict.fromkeys("xy", 0), {k: v for k, v in sorted(d.items(), key=lambda kv: -kv[1])})
