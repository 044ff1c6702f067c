# abc for lessons: ABC and abstractmethod as markers. lessonrun does not refuse to instantiate
# a class with abstract methods left (docs/divergences.md). Built inside _make (see heapq.py).
def _make():
    class ABCMeta(type):
        pass

    class ABC:
        pass

    def abstractmethod(funcobj):
        return funcobj

    return {'ABC': ABC, 'ABCMeta': ABCMeta, 'abstractmethod': abstractmethod}
