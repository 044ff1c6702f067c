result = []
for i in range(3):
    for j in range(3):
        if j > i:
            break
        result.append((i, j))
print(result)
grid = [[i * 3 + j for j in range(3)] for i in range(3)]
for row in grid:
    print(' '.join(f'{v:2d}' for v in row))
total = 0
for row in grid:
    for v in row:
        total += v
print(total)
