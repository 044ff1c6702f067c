class Proxy:
    def __init__(self, target):
        self.target = target
        self.hits = 0
    def __getattr__(self, name):
        self.hits += 1
        if name.startswith('bad'):
            raise AttributeError('no %s here' % name)
        return getattr(self.target, name)
def use(p):
    out = []
    for i in range(2):
        out.append(p.upper())
        out.append(p.target)
    out.append(p.replace('a', 'o'))
    return out, p.hits
print(use(Proxy('banana')))
class Dynamic:
    def __getattr__(self, name):
        return lambda *args: (name, args)
def call_dynamic(d):
    return [d.anything(), d.other(1, 2)]
print(call_dynamic(Dynamic()))
def catch(p):
    try:
        p.bad_name
    except AttributeError as e:
        return str(e)
print(catch(Proxy('x')))
def hasattr_check(p):
    return hasattr(p, 'bad_one'), hasattr(p, 'lower'), getattr(p, 'bad_two', 'default')
print(hasattr_check(Proxy('x')))
def call_bad(p):
    return p.bad_method(1)
call_bad(Proxy('x'))
