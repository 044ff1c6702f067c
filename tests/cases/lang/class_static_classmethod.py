class Pizza:
    count = 0
    def __init__(self, toppings):
        self.toppings = toppings
        Pizza.count += 1
    @classmethod
    def margherita(cls):
        return cls(["mozzarella", "tomato"])
    @staticmethod
    def area(r):
        return round(3.14159 * r * r, 2)
p = Pizza.margherita()
print(p.toppings, Pizza.count, Pizza.area(2), p.area(1))
class Special(Pizza):
    pass
s = Special.margherita()
print(type(s).__name__, Pizza.count)
