print((2**64).bit_length(), (-2**64).bit_length(), (2**64 - 1).bit_count(), (0).bit_length())
print((2**70).conjugate(), (2**70).numerator, (2**70).denominator, (2**70).real, (2**70).imag)
print(int.bit_length(2**70), isinstance(2**100, int), type(2**100), type(-2**100).__name__)
print((1.5).as_integer_ratio(), (5e-324).as_integer_ratio()[1].bit_length(), (1e300).as_integer_ratio()[1])
