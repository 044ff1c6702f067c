format('x', '+')
