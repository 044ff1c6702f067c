def read(lines):
    for l in lines:
        yield l.strip()
def nonempty(xs):
    for x in xs:
        if x:
            yield x
def upper(xs):
    for x in xs:
        yield x.upper()
print(list(upper(nonempty(read([" a ", "", "b", "  ", "c "])))))
