print(hash(2**64), hash(-1), hash(2**61 - 1), hash(-2**61), hash(2**100), hash(-2**100))
print(hash(1.5), hash(float(2**64)), hash(-2.5), hash(1e300), hash(float('inf')), hash(2**61 - 2))
print(hash(2**100) == hash(float(2**100)), hash(2**64 + 1) == hash(float(2**64 + 1)))
