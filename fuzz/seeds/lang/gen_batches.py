def batches(data, size):
    for i in range(0, len(data), size):
        yield data[i:i + size]
for b in batches(list(range(10)), 4):
    print(b)
print([len(b) for b in batches("abcdefg", 3)])
