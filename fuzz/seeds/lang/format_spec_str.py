for spec in ['', 's', '10', '<10', '>10', '^10', '*^9', '.2', '>8.3', '-<6']:
    print(repr(spec), repr(format('hello', spec)))
print(format(True), format(None), format([1, 2]))
