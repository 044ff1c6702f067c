a, b = 0, 1
out = []
for _ in range(10):
    out.append(a)
    a, b = b, a + b
print(out)
matrix = [[1, 2, 3], [4, 5, 6]]
transposed = [list(row) for row in zip(*matrix)]
print(transposed)
print([sum(col) for col in zip(*matrix)], list(map(max, matrix)))
