try:
    print([missing_a for _ in range(2)])
except NameError as e:
    print('module comp', e)
try:
    print([x for x in range(3) if x > missing_b])
except NameError as e:
    print('module cond', e)
print([x for x in range(0) if x > missing_c])
def in_func(n):
    return [i * missing_d for i in range(n)]
print(in_func(0))
try:
    in_func(2)
except NameError as e:
    print('func comp', e)
missing_d = 3
print(in_func(3))
xs = [v for v in range(4)]
try:
    print(v)
except NameError as e:
    print('no leak', e)
def nested():
    return {k: missing_e for k in 'ab'}
nested()
