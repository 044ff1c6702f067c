class Oops(ValueError):
    def __str__(self):
        return "custom oops text"
try:
    raise Oops("ignored")
except ValueError as e:
    print(e, e.args)
raise Oops()
