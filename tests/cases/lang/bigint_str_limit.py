print(len(str(10**4300 - 1)), len(str(-(10**4300 - 1))))
print(hex(2**14300)[:10], len(bin(2**5000)))
x = 10**4300
print(x.bit_length())
str(x)
