import random
random.seed(-5)
a = random.random()
random.seed(5)
print(a == random.random())
random.seed(2**35 + 11)
print(random.random(), random.getrandbits(16), random.getrandbits(33))
random.seed(3.25)
print(random.random())
