class Nope:
    pass
for x in Nope():
    print(x)
