class Card:
    def __init__(self, rank):
        self.rank = rank
    def __lt__(self, other):
        return self.rank < other.rank
    def __repr__(self):
        return f"Card({self.rank})"
cards = [Card(5), Card(2), Card(9), Card(1)]
print(sorted(cards))
print(max(cards), min(cards))
print(Card(1) < Card(2), Card(3) > Card(2))
cards.sort(reverse=True)
print(cards)
Card(1) <= Card(2)
