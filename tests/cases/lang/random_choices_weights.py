import random
random.seed(3)
print(random.choices(["a", "b", "c"], k=8))
print(random.choices(["x", "y"], weights=[1, 9], k=10))
print(random.choices(range(4), cum_weights=[1, 2, 3, 10], k=6))
