def f():
    try:
        return 'try'
    finally:
        print('finally runs before return')
print(f())
for i in range(3):
    try:
        if i == 1:
            continue
        print('body', i)
    finally:
        print('fin', i)
def g():
    for i in range(5):
        try:
            if i == 2:
                break
        finally:
            pass
    return i
print(g())
