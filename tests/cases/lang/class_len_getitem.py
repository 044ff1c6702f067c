class Dataset:
    def __init__(self, n):
        self.data = [i * i for i in range(n)]
    def __len__(self):
        return len(self.data)
    def __getitem__(self, i):
        return self.data[i]
ds = Dataset(5)
print(len(ds), ds[2], ds[-1], ds[1:3])
print(list(ds), [x for x in ds], 16 in ds, 3 in ds)
print(bool(Dataset(0)), bool(ds))
for i, x in enumerate(ds):
    print(i, x, end="; ")
print()
ds[10]
