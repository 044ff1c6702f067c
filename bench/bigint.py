# Big-int benchmark: arithmetic past 64 bits, as lessons on number theory or combinatorics do.
# Run under CPython 3.11 and as one lessonrun cell (same output expected):
#   python3 bench/bigint.py; and a lesson with this file as its only cell.
import math


def fib(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


print(fib(20000) % 10**9)
print(math.factorial(20000).bit_length())
print(pow(3, 10**5, 2**521 - 1) % 10**9)
print(len(str(7**4000)))
acc = 0
for i in range(100000):
    acc += i * 2**64
print(acc % 1000003, hash(acc), acc > 1e30)
print(sum(math.comb(200, k) for k in range(201)) == 2**200)
