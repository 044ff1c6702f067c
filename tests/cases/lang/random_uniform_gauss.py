import random
random.seed(7)
print(random.uniform(-1, 1), random.uniform(10, 20))
print(random.gauss(0, 1), random.gauss(5, 2), random.gauss(0, 1))
random.seed(7)
print([round(random.gauss(0, 1), 4) for _ in range(5)])
print(random.normalvariate(0, 1), random.expovariate(1.5))
