# reprlib for lessons: repr() with CPython's default size limits, written for lessonrun's
# interpreter (built inside _make: see heapq.py).
def _make():
    limits = {'list': 6, 'tuple': 6, 'set': 6, 'frozenset': 6, 'dict': 4}

    def _seq(items, n, left, right, level, trail=''):
        if level <= 0 and items:
            return left + '...' + right
        parts = [_repr(x, level - 1) for x in items[:n]]
        if len(items) > n:
            parts.append('...')
        return left + ', '.join(parts) + trail + right

    def _repr(x, level=6):
        t = type(x).__name__
        if level <= 0 and t == 'dict' and x:
            return '{...}'
        if t == 'str':
            s = repr(x[:30])
            if len(s) > 30:
                s = repr(x[:13] + x[len(x) - 14:])
                s = s[:13] + '...' + s[len(s) - 14:]
            return s
        if t == 'int':
            s = repr(x)
            return s if len(s) <= 40 else s[:18] + '...' + s[-19:]
        if t == 'list':
            return _seq(x, 6, '[', ']', level)
        if t == 'tuple':
            return _seq(x, 6, '(', ')', level, ',' if len(x) == 1 else '')
        if t in ('set', 'frozenset'):
            if not x:
                return t + '()'
            try:
                items = sorted(x)
            except TypeError:
                items = list(x)
            s = _seq(items, 6, '{', '}', level)
            return s if t == 'set' else 'frozenset(' + s + ')'
        if t == 'dict':
            if not x:
                return '{}'
            try:
                keys = sorted(x)
            except TypeError:
                keys = list(x)
            parts = [_repr(k, level - 1) + ': ' + _repr(x[k], level - 1) for k in keys[:4]]
            if len(keys) > 4:
                parts.append('...')
            return '{' + ', '.join(parts) + '}'
        s = repr(x)
        return s if len(s) <= 20 else s[:8] + '...' + s[-9:]

    def repr_(x):
        return _repr(x)

    return {'repr': repr_}
