class E1(Exception): pass
class E2(E1): pass
class E3(KeyError): pass
for exc in (E1, E2, E3):
    try:
        raise exc("m")
    except E2:
        print("caught E2", exc.__name__)
    except E1:
        print("caught E1", exc.__name__)
    except LookupError as e:
        print("caught LookupError", type(e).__name__, e)
print(issubclass(E3, LookupError), issubclass(E2, Exception))
