print(int(1e30), int(-1e30), int(2.0**63), int(-2.0**63), int(1.7976931348623157e308) % 1000)
print(round(1e300) == int(1e300), round(2.5e20), round(-2.5e20, -19), int(2**100), int(True))
print(math.floor(1e300) % 10**9, math.ceil(-1e20), math.trunc(-1.5e25), math.floor(2**100))
int(float('inf'))
