'abc'(1)
