v = 3
v * 2;  # silenced
