def letters():
    yield from "xyz"
print(list(zip(letters(), range(10))), list(enumerate(letters(), 1)))
print(dict(zip(letters(), letters())))
