class P:
    kind = "p"
    def __init__(self):
        self.a = 1
        self.b = [2]
p = P()
print(p.__dict__, vars(p))
p.__dict__
