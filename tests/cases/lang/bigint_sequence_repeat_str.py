print(len('a' * 10))
'a' * -(2**64)
