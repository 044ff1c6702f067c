import math
import math as m
from math import sqrt, pi as PI
print(math.sqrt(16), m.floor(2.7), sqrt(2), PI)
print(math.pi, math.e, math.inf, -math.inf, math.nan)
print(math.exp(1), math.log(math.e), math.log(8, 2), math.log(100, 10), math.log2(1024), math.log10(0.001))
print(math.sin(0), math.cos(0), math.tan(0), math.tanh(0.5), math.floor(-2.5), math.ceil(-2.5), math.ceil(2.1))
print(math.fabs(-3), math.pow(2, 10), math.isclose(0.1 + 0.2, 0.3), math.isclose(1, 1.1), math.isinf(math.inf), math.isnan(1.0))
print(math.fsum([0.1] * 10), sum([0.1] * 10), math.prod([1, 2, 3, 4]), math.prod([0.5, 4]), math.factorial(10), math.gcd(12, 18))
print(math.floor(7), type(math.floor(2.5)).__name__, math.trunc(-3.7), math.sqrt(2) ** 2, math.hypot(3, 4))
print(math.atan2(1, 1), math.degrees(math.pi), math.radians(180), math.asin(1), math.acos(1))
