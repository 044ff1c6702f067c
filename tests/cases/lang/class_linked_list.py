class Node:
    def __init__(self, val, nxt=None):
        self.val = val
        self.next = nxt
class LinkedList:
    def __init__(self):
        self.head = None
        self.size = 0
    def push(self, v):
        self.head = Node(v, self.head)
        self.size += 1
    def __iter__(self):
        out = []
        n = self.head
        while n is not None:
            out.append(n.val)
            n = n.next
        return iter(out)
    def __len__(self):
        return self.size
    def __repr__(self):
        return " -> ".join(str(v) for v in self) or "empty"
ll = LinkedList()
print(ll)
for i in range(4):
    ll.push(i)
print(ll, len(ll), list(reversed(list(ll))))
