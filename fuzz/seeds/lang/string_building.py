lines = []
for i in range(1, 4):
    lines.append(f'{i:>2}. ' + '*' * i)
print('\n'.join(lines))
header = f"{'name':<8}|{'score':>6}"
print(header)
print('-' * len(header))
for name, score in [('ann', 91.5), ('bob', 78.25)]:
    print(f'{name:<8}|{score:>6.1f}')
