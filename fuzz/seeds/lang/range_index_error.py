range(3)[3]
