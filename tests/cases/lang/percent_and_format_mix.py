name, val = "loss", 0.123456
print("%s=%.3f" % (name, val), "%5d|%-5d|" % (42, 42), "%x %o %e" % (255, 8, 12345.678))
print("{:>8.2f}|{:<6}|{:^7}|{:,}".format(val, name, "mid", 1234567))
print(f"{val:.2%} {1e-5:g} {123456789:e}")
