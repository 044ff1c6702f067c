class Z:
    def __bool__(self):
        return False
class L:
    def __len__(self):
        return 0
class Plain:
    pass
print(bool(Z()), bool(L()), bool(Plain()), not Z())
if not L():
    print("empty")
print(Z() or "fallback", Plain() and "yes")
