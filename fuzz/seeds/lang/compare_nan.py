n = float('nan')
print(n == n, n != n, n < 1, n > 1, 1 < n)
print(math.isnan(n), float('inf') > 1e308)
