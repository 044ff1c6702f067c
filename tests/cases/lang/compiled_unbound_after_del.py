def f():
    x = 1
    print('before', x)
    del x
    try:
        print(x)
    except UnboundLocalError as e:
        print('caught:', e)
    x = 2
    print('again', x)
    del x
    return x
f()
