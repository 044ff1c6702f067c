import random
for s in [1.5, -2.25, 1e300, 3.0, 0.1, -0.0, 1e-310, float("inf")]:
    random.seed(s)
    print(s, random.random())
