import random
random.seed(0)
data = [(i, i % 3) for i in range(20)]
random.shuffle(data)
split = int(0.8 * len(data))
train, test = data[:split], data[split:]
print(len(train), len(test), test)
noisy = [round(x + random.gauss(0, 0.1), 3) for x in range(5)]
print(noisy)
