print(divmod(2**100, 7), divmod(-2**100, 7), divmod(2**100, -(2**50 + 3)))
print(divmod(-2**63, -1))
print(divmod(-2**100, 7.0))
divmod(2**70, 0)
