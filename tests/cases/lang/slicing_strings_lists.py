s = "abcdefghij"
print(s[::2], s[::-1], s[-3:], s[2:8:3], s[100:], s[:-100])
xs = list(range(10))
xs[2:5] = ["a"]
print(xs, xs[::-3])
del xs[::2]
print(xs)
