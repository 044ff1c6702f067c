def down(n):
    return down(n + 1)
def safe():
    try:
        down(0)
    except RecursionError as e:
        return 'caught ' + type(e).__name__
print(safe())
print(safe())
class Node:
    def __init__(self):
        self.next = self
    def length(self):
        return 1 + self.next.length()
def method_limit():
    try:
        Node().length()
    except RecursionError:
        return 'method caught'
print(method_limit())
def fine(n):
    return 0 if n == 0 else 1 + fine(n - 1)
print(fine(500))
def via_comp(n):
    return [via_comp(n + 1) for _ in range(1)]
def comp_limit():
    try:
        via_comp(0)
    except RecursionError:
        return 'comp caught'
print(comp_limit())
def finally_runs():
    log = []
    def rec(n):
        try:
            return rec(n + 1)
        finally:
            if n == 0:
                log.append('outermost finally')
    try:
        rec(0)
    except RecursionError:
        log.append('caught')
    return log
print(finally_runs())
