print('a\tb', 'c\\d', 'line\nbreak', '\x41\u00e9\101', r'raw\n', R'\d+')
print('''triple
quoted''', """with 'quotes' inside""")
print('adjacent' ' strings' " joined")
print('unknown \q escape')
