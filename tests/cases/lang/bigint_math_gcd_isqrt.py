print(math.gcd(2**100, 6**50), math.gcd(), math.gcd(-12, 18), math.lcm(2**64, 3), math.lcm(), math.lcm(-4, 6))
print(math.isqrt(10**40), math.isqrt(2**101), math.isqrt(2**200) == 2**100, math.isqrt(0), math.isqrt(99))
math.isqrt(-1)
