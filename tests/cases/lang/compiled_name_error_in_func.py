def read_missing():
    return later_defined + 1
try:
    read_missing()
except NameError as e:
    print('first', e)
later_defined = 41
print(read_missing())
print(read_missing())
del later_defined
try:
    read_missing()
except NameError as e:
    print('after del', e)
later_defined = 1.5
print(read_missing())
def loop_missing():
    acc = 0
    for i in range(3):
        acc += i
    return acc + not_there
loop_missing()
