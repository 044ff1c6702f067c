print('ok')
undefined_name + 1
