y = 'hello'
y  # comment after expression
