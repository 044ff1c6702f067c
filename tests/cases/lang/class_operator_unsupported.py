class Thing:
    pass
Thing() + 1
