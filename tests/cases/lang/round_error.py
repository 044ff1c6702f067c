round('x')
