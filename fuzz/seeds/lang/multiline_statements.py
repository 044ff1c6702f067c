total = (1 +
         2 +
         3)
items = [
    'a',
    'b',  # trailing comma
]
value = 1 + \
    2
d = {
    'k': 1,
}
def f(a,
      b):
    return a + b
print(total, items, value, d, f(1,
                                  2))
x = 1; y = 2; print(x + y)
if x: print('one-line if')
