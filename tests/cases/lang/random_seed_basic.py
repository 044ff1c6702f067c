import random
random.seed(0)
print(random.random())
print(random.random())
random.seed(0)
print(random.random())
random.seed(42)
print([round(random.random(), 6) for _ in range(3)])
