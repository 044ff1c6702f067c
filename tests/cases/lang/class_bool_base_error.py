class B(bool):
    pass
