print(True + 2**70, 2**70 * True, False - 2**64, 2**64 // True, 2**64 & True)
print(sum([True] * 3, 2**64), [2**64] * 2)
