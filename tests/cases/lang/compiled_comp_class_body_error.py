class Table:
    width = 3
    cells = [[0] * width for _ in range(2)]
    print(cells)
    widths = [width for _ in range(2)]
