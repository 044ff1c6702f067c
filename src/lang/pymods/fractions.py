# fractions for lessons: Fraction as CPython 3.11's fractions.py behaves (its arithmetic, reprs,
# limit_denominator and its errors), written for lessonrun's interpreter (built inside _make:
# see heapq.py).
def _make():
    import math

    _P = 2305843009213693951  # sys.hash_info.modulus

    def _parse(s):
        # CPython's grammar: [sign] (int [/ int] | [int] . [digits] | int) [e exp], spaces around.
        t = s.strip().replace('_', '')
        bad = ValueError('Invalid literal for Fraction: ' + repr(s))
        if not t:
            raise bad
        sign = 1
        if t[0] in '+-':
            if t[0] == '-':
                sign = -1
            t = t[1:]
        if '/' in t:
            num, _, den = t.partition('/')
            if not num.isdigit() or not den.isdigit():
                raise bad
            return sign * int(num), int(den)
        exp = 0
        low = t.lower()
        if 'e' in low:
            low, _, e = low.partition('e')
            es = e[1:] if e[:1] in '+-' else e
            if not es.isdigit():
                raise bad
            exp = int(e)
        whole, dot, frac = low.partition('.')
        if not (whole + frac) or (whole and not whole.isdigit()) or (frac and not frac.isdigit()):
            raise bad
        num = int(whole + frac) if whole + frac else 0
        den = 10 ** len(frac)
        if exp >= 0:
            num *= 10 ** exp
        else:
            den *= 10 ** -exp
        return sign * num, den

    class Fraction:
        def __init__(self, numerator=0, denominator=None):
            if denominator is None:
                if isinstance(numerator, bool) or isinstance(numerator, int):
                    n, d = int(numerator), 1
                elif isinstance(numerator, Fraction):
                    n, d = numerator._numerator, numerator._denominator
                elif isinstance(numerator, float):
                    n, d = numerator.as_integer_ratio()
                elif isinstance(numerator, str):
                    n, d = _parse(numerator)
                else:
                    raise TypeError('argument should be a string or a Rational instance')
            else:
                num_ok = isinstance(numerator, (int, Fraction))
                den_ok = isinstance(denominator, (int, Fraction))
                if not (num_ok and den_ok):
                    raise TypeError('both arguments should be Rational instances')
                if isinstance(numerator, Fraction) or isinstance(denominator, Fraction):
                    a, b = Fraction(numerator), Fraction(denominator)
                    n, d = a._numerator * b._denominator, a._denominator * b._numerator
                else:
                    n, d = int(numerator), int(denominator)
            if d == 0:
                raise ZeroDivisionError('Fraction(%s, 0)' % n)
            g = math.gcd(n, d)
            if d < 0:
                g = -g
            self._numerator = n // g
            self._denominator = d // g

        @property
        def numerator(self):
            return self._numerator

        @property
        def denominator(self):
            return self._denominator

        @classmethod
        def from_float(cls, f):
            if isinstance(f, int):
                return cls(f)
            if not isinstance(f, float):
                raise TypeError('%s.from_float() only takes floats, not %r (%s)' % (cls.__name__, f, type(f).__name__))
            return cls(*f.as_integer_ratio())

        def as_integer_ratio(self):
            return (self._numerator, self._denominator)

        def limit_denominator(self, max_denominator=1000000):
            if max_denominator < 1:
                raise ValueError('max_denominator should be at least 1')
            if self._denominator <= max_denominator:
                return Fraction(self._numerator, self._denominator)
            p0, q0, p1, q1 = 0, 1, 1, 0
            n, d = self._numerator, self._denominator
            while True:
                a = n // d
                q2 = q0 + a * q1
                if q2 > max_denominator:
                    break
                p0, q0, p1, q1 = p1, q1, p0 + a * p1, q2
                n, d = d, n - a * d
            k = (max_denominator - q0) // q1
            if 2 * d * (q0 + k * q1) <= self._denominator:
                return Fraction(p1, q1)
            return Fraction(p0 + k * p1, q0 + k * q1)

        def __repr__(self):
            return 'Fraction(%s, %s)' % (self._numerator, self._denominator)

        def __str__(self):
            if self._denominator == 1:
                return str(self._numerator)
            return '%s/%s' % (self._numerator, self._denominator)

        # Arithmetic: with an int or a Fraction exact, with a float in floats.
        def _op(self, other, exact, inexact, reflected):
            if isinstance(other, (int, Fraction)):
                o = Fraction(other)
                return exact(o, self) if reflected else exact(self, o)
            if isinstance(other, float):
                return inexact(other, float(self)) if reflected else inexact(float(self), other)
            return NotImplemented

        def __add__(self, other):
            return self._op(other, _add, lambda a, b: a + b, False)

        def __radd__(self, other):
            return self._op(other, _add, lambda a, b: a + b, True)

        def __sub__(self, other):
            return self._op(other, _sub, lambda a, b: a - b, False)

        def __rsub__(self, other):
            return self._op(other, _sub, lambda a, b: a - b, True)

        def __mul__(self, other):
            return self._op(other, _mul, lambda a, b: a * b, False)

        def __rmul__(self, other):
            return self._op(other, _mul, lambda a, b: a * b, True)

        def __truediv__(self, other):
            return self._op(other, _div, lambda a, b: a / b, False)

        def __rtruediv__(self, other):
            return self._op(other, _div, lambda a, b: a / b, True)

        def __floordiv__(self, other):
            return self._op(other, _floordiv, lambda a, b: a // b, False)

        def __rfloordiv__(self, other):
            return self._op(other, _floordiv, lambda a, b: a // b, True)

        def __mod__(self, other):
            return self._op(other, _mod, lambda a, b: a % b, False)

        def __rmod__(self, other):
            return self._op(other, _mod, lambda a, b: a % b, True)

        def __divmod__(self, other):
            return (self // other, self % other)

        def __pow__(self, other):
            if isinstance(other, Fraction) and other._denominator == 1:
                other = other._numerator
            if isinstance(other, int):
                if other >= 0:
                    return Fraction(self._numerator ** other, self._denominator ** other)
                if self._numerator == 0:
                    raise ZeroDivisionError('Fraction(%s, 0)' % (self._denominator ** -other))
                return Fraction(self._denominator ** -other, self._numerator ** -other)
            if isinstance(other, (float, Fraction)):
                return float(self) ** float(other)
            return NotImplemented

        def __rpow__(self, other):
            if self._denominator == 1 and self._numerator >= 0:
                return other ** self._numerator
            if isinstance(other, int):
                return Fraction(other) ** self
            return other ** float(self)

        def __pos__(self):
            return Fraction(self._numerator, self._denominator)

        def __neg__(self):
            return Fraction(-self._numerator, self._denominator)

        def __abs__(self):
            return Fraction(abs(self._numerator), self._denominator)

        def __int__(self):
            if self._numerator < 0:
                return -(-self._numerator // self._denominator)
            return self._numerator // self._denominator

        def __trunc__(self):
            return self.__int__()

        def __floor__(self):
            return self._numerator // self._denominator

        def __ceil__(self):
            return -(-self._numerator // self._denominator)

        def __round__(self, ndigits=None):
            if ndigits is None:
                floor, remainder = divmod(self._numerator, self._denominator)
                if remainder * 2 < self._denominator:
                    return floor
                if remainder * 2 > self._denominator:
                    return floor + 1
                return floor if floor % 2 == 0 else floor + 1
            shift = 10 ** abs(ndigits)
            if ndigits > 0:
                return Fraction(round(self * shift), shift)
            return Fraction(round(self / shift) * shift)

        def __float__(self):
            return self._numerator / self._denominator

        def __bool__(self):
            return self._numerator != 0

        def __hash__(self):
            inv = pow(self._denominator, _P - 2, _P)
            if not inv:
                h = 314159  # sys.hash_info.inf: the denominator is a multiple of the modulus
            else:
                h = (abs(self._numerator) % _P) * inv % _P
            r = h if self._numerator >= 0 else -h
            return -2 if r == -1 else r

        def __eq__(self, other):
            if isinstance(other, (int, Fraction)):
                o = Fraction(other)
                return self._numerator == o._numerator and self._denominator == o._denominator
            if isinstance(other, float):
                if other != other or other in (float('inf'), float('-inf')):
                    return False
                return self == Fraction(other)
            return NotImplemented

        def _cmp(self, other, op):
            if isinstance(other, (int, Fraction)):
                o = Fraction(other)
                return op(self._numerator * o._denominator, o._numerator * self._denominator)
            if isinstance(other, float):
                if other != other or other in (float('inf'), float('-inf')):
                    return op(0.0, other)
                return self._cmp(Fraction(other), op)
            return NotImplemented

        def __lt__(self, other):
            return self._cmp(other, lambda a, b: a < b)

        def __le__(self, other):
            return self._cmp(other, lambda a, b: a <= b)

        def __gt__(self, other):
            return self._cmp(other, lambda a, b: a > b)

        def __ge__(self, other):
            return self._cmp(other, lambda a, b: a >= b)

        def __reduce__(self):
            return (Fraction, (str(self),))

    def _add(a, b):
        return Fraction(a._numerator * b._denominator + b._numerator * a._denominator, a._denominator * b._denominator)

    def _sub(a, b):
        return Fraction(a._numerator * b._denominator - b._numerator * a._denominator, a._denominator * b._denominator)

    def _mul(a, b):
        return Fraction(a._numerator * b._numerator, a._denominator * b._denominator)

    def _div(a, b):
        if b._numerator == 0:
            raise ZeroDivisionError('Fraction(%s, 0)' % (a._numerator * b._denominator))
        return Fraction(a._numerator * b._denominator, a._denominator * b._numerator)

    def _floordiv(a, b):
        if b._numerator == 0:
            raise ZeroDivisionError('division by zero')
        return (a._numerator * b._denominator) // (a._denominator * b._numerator)

    def _mod(a, b):
        if b._numerator == 0:
            raise ZeroDivisionError('division by zero')
        d = a._denominator * b._denominator
        return Fraction((a._numerator * b._denominator) % (b._numerator * a._denominator), d)

    return {'Fraction': Fraction}
