log = []
def t(tag, v=None):
    log.append(tag)
    return v
def calls():
    del log[:]
    t('f', lambda *a: a)(t('a', 1), t('b', 2))
    r1 = list(log)
    del log[:]
    t('l', 1) + t('r', 2) * t('rr', 3)
    r2 = list(log)
    del log[:]
    d = {}
    t('obj', d)[t('key', 'k')] = t('value', 1)
    r3 = list(log)
    del log[:]
    class O:
        pass
    o = O()
    t('target', o).attr = t('rhs', 5)
    r4 = list(log)
    del log[:]
    x = [t('e1', 1), t('e2', 2)], (t('e3', 3),), {t('k1', 1): t('v1', 1), t('k2', 2): t('v2', 2)}
    r5 = list(log)
    del log[:]
    a, b = t('first', 1), t('second', 2)
    t('cond', True) and t('and', 0) or t('or', 1)
    r6 = list(log)
    return r1, r2, r3, r4, r5, r6
for r in calls():
    print(r)
def method_order():
    del log[:]
    class K:
        def m(self, *a):
            return a
    t('recv', K()).m(t('arg1'), t('arg2'))
    t('s', 'abc').replace(t('old', 'a'), t('new', 'z'))
    return list(log)
print(method_order())
def missing_method_before_args():
    del log[:]
    try:
        t('recv', 5).nosuch(t('arg'))
    except AttributeError as e:
        return list(log), str(e)
print(missing_method_before_args())
def not_callable_after_args():
    del log[:]
    try:
        t('callee', 5)(t('arg'))
    except TypeError as e:
        return list(log), str(e)
print(not_callable_after_args())
def swap():
    a, b = 1, 2
    a, b = b, a
    xs = [0, 1, 2]
    i = 0
    i, xs[i] = 2, 'x'
    return a, b, xs
print(swap())
