# heapq for lessons: CPython's documented behaviour, written for lessonrun's interpreter.
# Everything is built inside _make so helpers reach each other as closures (a lesson's
# functions have no module globals of their own).
def _make():
    def _down(heap, start, pos):
        item = heap[pos]
        while pos > start:
            parent = (pos - 1) >> 1
            p = heap[parent]
            if item < p:
                heap[pos] = p
                pos = parent
                continue
            break
        heap[pos] = item

    def _up(heap, pos):
        end = len(heap)
        start = pos
        item = heap[pos]
        child = 2 * pos + 1
        while child < end:
            right = child + 1
            if right < end and not heap[child] < heap[right]:
                child = right
            heap[pos] = heap[child]
            pos = child
            child = 2 * pos + 1
        heap[pos] = item
        _down(heap, start, pos)

    def heappush(heap, item):
        heap.append(item)
        _down(heap, 0, len(heap) - 1)

    def heappop(heap):
        if not heap:
            raise IndexError('index out of range')
        last = heap.pop()
        if heap:
            item = heap[0]
            heap[0] = last
            _up(heap, 0)
            return item
        return last

    def heapreplace(heap, item):
        if not heap:
            raise IndexError('index out of range')
        top = heap[0]
        heap[0] = item
        _up(heap, 0)
        return top

    def heappushpop(heap, item):
        if heap and heap[0] < item:
            item, heap[0] = heap[0], item
            _up(heap, 0)
        return item

    def heapify(x):
        for i in reversed(range(len(x) // 2)):
            _up(x, i)

    def nsmallest(n, iterable, key=None):
        if key is None:
            return sorted(iterable)[:n]
        return sorted(iterable, key=key)[:n]

    def nlargest(n, iterable, key=None):
        if key is None:
            return sorted(iterable, reverse=True)[:n]
        return sorted(iterable, key=key, reverse=True)[:n]

    def merge(*iterables, key=None, reverse=False):
        items = []
        for it in iterables:
            items.extend(it)
        return iter(sorted(items, key=key, reverse=reverse))

    return {'heappush': heappush, 'heappop': heappop, 'heapify': heapify,
            'heapreplace': heapreplace, 'heappushpop': heappushpop,
            'nsmallest': nsmallest, 'nlargest': nlargest, 'merge': merge}
