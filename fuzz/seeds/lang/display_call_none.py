a = []
a.append(1)
