losses = []
lr = 0.1
w = 0.0
data = [(1.0, 2.0), (2.0, 4.0), (3.0, 6.0)]
for epoch in range(5):
    total = 0.0
    for x, y in data:
        pred = w * x
        err = pred - y
        total += err ** 2
        w -= lr * 2 * err * x / len(data)
    losses.append(total / len(data))
    if epoch % 2 == 0:
        print(f'epoch {epoch}: loss={losses[-1]:.4f} w={w:.4f}')
print(f'final w = {w:.6f}', [round(l, 3) for l in losses])
print('min loss: {:.2e}'.format(min(losses)))
