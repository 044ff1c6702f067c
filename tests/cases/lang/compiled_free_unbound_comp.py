x = 'global x'
def uses_later():
    items = [x for _ in range(2)]
    x = 'local x'
    return items
try:
    print(uses_later())
except NameError as e:
    print(type(e).__name__, e)
def uses_after():
    x = 'local x'
    return [x for _ in range(2)]
print(uses_after())
def closure_later():
    def inner():
        return y
    try:
        print(inner())
    except NameError as e:
        print(type(e).__name__, e)
    y = 5
    return inner()
print(closure_later())
