class Empty:
    pass
e = Empty()
e.a = 5
print(e.a, vars(e))
Empty(3)
