counter += 1
