count = 10
def g(flag):
    if flag:
        count = 1
    return count
print(g(True))
try:
    g(False)
except UnboundLocalError as e:
    print('caught', type(e).__name__, e)
print(issubclass(UnboundLocalError, NameError))
def loop_var(n):
    for i in range(n):
        pass
    return i
print(loop_var(3))
try:
    loop_var(0)
except NameError as e:
    print('caught', type(e).__name__, e)
def aug():
    count += 1
    return count
aug()
