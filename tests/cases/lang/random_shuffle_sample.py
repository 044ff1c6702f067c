import random
random.seed(2024)
deck = list(range(1, 11))
random.shuffle(deck)
print(deck)
print(random.sample(deck, 4), random.sample(range(1000), 3))
print(sorted(random.sample(range(50), 10)))
