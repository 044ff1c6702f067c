import random
random.seed(1)
print([random.randint(1, 6) for _ in range(12)])
print([random.choice("ACGT") for _ in range(10)])
print(random.randrange(10), random.randrange(5, 50, 5), random.randrange(100, 0, -7))
