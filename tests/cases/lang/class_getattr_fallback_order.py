class G:
    cls_attr = "from class"
    def __init__(self):
        self.inst = "from instance"
    def __getattr__(self, name):
        return "fallback:" + name
g = G()
print(g.inst, g.cls_attr, g.other)
