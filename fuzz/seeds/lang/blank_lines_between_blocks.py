def f(x):
    return x

h = 1
print(h)

for i in range(2):
    print(i)

    # a comment line inside the loop body

    print(i * 10)

def g():
    total = 0
    for k in [1, 2]:

        total += k

    return total

print(g())
if h:
    pass

else:
    print("never")
print("end")
