class Stop(Exception):
    pass
try:
    raise Stop
except Stop as e:
    print("got", repr(e), e.args)
raise Stop
