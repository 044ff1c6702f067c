print(chr(65))
chr(2**64)
