for spec in ['', '.2f', '.0f', '10.3f', '<10.2f', '^10.1f', '+.2f', ' .2f', '010.2f', 'e', '.2e', 'E', 'g', '.3g', 'G', '%', '.1%', ',', ',.2f', '_.1f']:
    print(repr(spec), repr(format(1234.5678, spec)), repr(format(-0.000123456, spec)))
