for spec in ['', 'd', '5d', '<5d', '^5d', '05d', '+d', ' d', 'x', 'X', '#x', 'o', '#o', 'b', '#b', '08b', ',', '_', '_x', 'c', 'e', '.2f', '%', '*>6', '=+6']:
    print(repr(spec), repr(format(255, spec)), repr(format(-42, spec)) if spec != 'c' else '')
