# Names of existing modules that lessonrun writes in Python: each entry of the dict _make
# returns is "module.name"; a name the module already has natively is left alone. Built inside
# _make so the helpers reach each other as closures (see heapq.py).
def _make():
    import re

    # string.Template
    class Template:
        delimiter = '$'
        idpattern = r'(?a:[_a-z][_a-z0-9]*)'
        braceidpattern = None
        flags = re.IGNORECASE

        def __init__(self, template):
            self.template = template

        def _pattern(self):
            d = re.escape(self.delimiter)
            ident = self.idpattern
            brace = self.braceidpattern or ident
            return re.compile(d + '(?:(' + d + ')|(' + ident + ')|{(' + brace + ')}|())', self.flags)

        def _invalid(self, m):
            i = m.start()
            lines = self.template[:i].splitlines(True)
            if not lines:
                colno = 1
                lineno = 1
            else:
                colno = i - len(''.join(lines[:-1]))
                lineno = len(lines)
            raise ValueError('Invalid placeholder in string: line %d, col %d' % (lineno, colno))

        def substitute(self, mapping=None, /, **kws):
            values = dict(mapping) if mapping is not None else {}
            values.update(kws)
            def convert(m):
                named = m.group(2) or m.group(3)
                if named is not None:
                    return str(values[named])
                if m.group(1) is not None:
                    return self.delimiter
                self._invalid(m)
            return self._pattern().sub(convert, self.template)

        def safe_substitute(self, mapping=None, /, **kws):
            values = dict(mapping) if mapping is not None else {}
            values.update(kws)
            def convert(m):
                named = m.group(2) or m.group(3)
                if named is not None:
                    if named in values:
                        return str(values[named])
                    return m.group(0)
                if m.group(1) is not None:
                    return self.delimiter
                return m.group(0)
            return self._pattern().sub(convert, self.template)

    def capwords(s, sep=None):
        return (sep or ' ').join(w.capitalize() for w in s.split(sep))

    # contextlib.contextmanager. lessonrun's generators cannot take throw(): an exception in
    # the with block closes the generator and propagates (docs/divergences.md).
    class _GeneratorContextManager:
        def __init__(self, func, args, kwds):
            self.gen = func(*args, **kwds)

        def __enter__(self):
            try:
                return next(self.gen)
            except StopIteration:
                raise RuntimeError("generator didn't yield") from None

        def __exit__(self, typ, value, tb):
            if typ is None:
                try:
                    next(self.gen)
                except StopIteration:
                    return False
                raise RuntimeError("generator didn't stop")
            return False

    def contextmanager(func):
        def helper(*args, **kwds):
            return _GeneratorContextManager(func, args, kwds)
        return helper

    class suppress:
        def __init__(self, *exceptions):
            self._exceptions = exceptions

        def __enter__(self):
            pass

        def __exit__(self, typ, value, tb):
            return typ is not None and issubclass(typ, self._exceptions)

    # functools
    def total_ordering(cls):
        d = vars(cls)
        if '__lt__' in d:
            lt = d['__lt__']
            cls.__gt__ = lambda self, other: not lt(self, other) and self != other
            cls.__le__ = lambda self, other: lt(self, other) or self == other
            cls.__ge__ = lambda self, other: not lt(self, other)
        elif '__gt__' in d:
            gt = d['__gt__']
            cls.__lt__ = lambda self, other: not gt(self, other) and self != other
            cls.__ge__ = lambda self, other: gt(self, other) or self == other
            cls.__le__ = lambda self, other: not gt(self, other)
        elif '__le__' in d:
            le = d['__le__']
            cls.__ge__ = lambda self, other: not le(self, other) or self == other
            cls.__lt__ = lambda self, other: le(self, other) and self != other
            cls.__gt__ = lambda self, other: not le(self, other)
        elif '__ge__' in d:
            ge = d['__ge__']
            cls.__le__ = lambda self, other: not ge(self, other) or self == other
            cls.__gt__ = lambda self, other: ge(self, other) and self != other
            cls.__lt__ = lambda self, other: not ge(self, other)
        else:
            raise ValueError('must define at least one ordering operation: < > <= >=')
        return cls

    def cmp_to_key(mycmp):
        class K:
            def __init__(self, obj):
                self.obj = obj
            def __lt__(self, other):
                return mycmp(self.obj, other.obj) < 0
            def __gt__(self, other):
                return mycmp(self.obj, other.obj) > 0
            def __eq__(self, other):
                return mycmp(self.obj, other.obj) == 0
            def __le__(self, other):
                return mycmp(self.obj, other.obj) <= 0
            def __ge__(self, other):
                return mycmp(self.obj, other.obj) >= 0
        return K

    # collections.ChainMap
    class ChainMap:
        def __init__(self, *maps):
            self.maps = list(maps) or [{}]

        def __getitem__(self, key):
            for m in self.maps:
                if key in m:
                    return m[key]
            raise KeyError(key)

        def get(self, key, default=None):
            return self[key] if key in self else default

        def __contains__(self, key):
            return any(key in m for m in self.maps)

        def __len__(self):
            return len(set().union(*self.maps))

        def keys(self):
            d = {}
            for m in reversed(self.maps):
                for k in m:
                    d[k] = None
            return list(d)

        def __iter__(self):
            return iter(self.keys())

        def items(self):
            return [(k, self[k]) for k in self.keys()]

        def values(self):
            return [self[k] for k in self.keys()]

        def __setitem__(self, key, value):
            self.maps[0][key] = value

        def __delitem__(self, key):
            try:
                del self.maps[0][key]
            except KeyError:
                raise KeyError(f'Key not found in the first mapping: {key!r}') from None

        def __bool__(self):
            return any(self.maps)

        def new_child(self, m=None):
            return ChainMap({} if m is None else m, *self.maps)

        @property
        def parents(self):
            return ChainMap(*self.maps[1:])

        def __repr__(self):
            return 'ChainMap(' + ', '.join(repr(m) for m in self.maps) + ')'

    # operator.methodcaller
    class methodcaller:
        def __init__(self, name, /, *args, **kwargs):
            self._name = name
            self._args = args
            self._kwargs = kwargs

        def __call__(self, obj):
            return getattr(obj, self._name)(*self._args, **self._kwargs)

        def __repr__(self):
            args = [repr(self._name)] + [repr(a) for a in self._args]
            args += ['%s=%r' % (k, v) for k, v in self._kwargs.items()]
            return 'operator.methodcaller(%s)' % ', '.join(args)

    # itertools
    def compress(data, selectors):
        return (d for d, s in zip(data, selectors) if s)

    def tee(iterable, n=2):
        items = list(iterable)
        return tuple(iter(items) for _ in range(n))

    # typing: a subscripted generic class is the class itself (CPython's alias prints as the
    # class too, with its parameters).
    class Generic:
        def __class_getitem__(cls, params):
            return cls

    class Protocol(Generic):
        pass

    # TypedDict: a class of it builds plain dicts, as CPython's does.
    class TypedDict(dict):
        pass

    # sys.stdout writes what the cell prints; sys.stderr is not part of a cell's output (the
    # reference records stdout only), so what it is given is dropped.
    class _Stream:
        def __init__(self, name, shown):
            self.name = name
            self._shown = shown

        def write(self, s):
            if not isinstance(s, str):
                raise TypeError('write() argument must be str, not ' + type(s).__name__)
            if self._shown:
                print(s, end='')
            return len(s)

        def flush(self):
            pass

        def isatty(self):
            return False

    return {'sys.stdout': _Stream('<stdout>', True), 'sys.stderr': _Stream('<stderr>', False),
            'sys.__stdout__': _Stream('<stdout>', True), 'sys.__stderr__': _Stream('<stderr>', False),
            'string.Template': Template, 'string.capwords': capwords,
            'contextlib.contextmanager': contextmanager, 'contextlib.suppress': suppress,
            'functools.total_ordering': total_ordering, 'functools.cmp_to_key': cmp_to_key,
            'collections.ChainMap': ChainMap, 'operator.methodcaller': methodcaller,
            'itertools.compress': compress, 'itertools.tee': tee,
            'typing.Generic': Generic, 'typing.Protocol': Protocol,
            'typing.TypedDict': TypedDict}
