import random
for bad in [lambda: random.randint(5, 1), lambda: random.randrange(0), lambda: random.sample([1, 2], 5)]:
    try:
        bad()
    except ValueError as e:
        print("ValueError:", e)
random.choice([])
