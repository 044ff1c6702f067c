print(len(str(int('9' * 4300))))
print(int('f' * 5000, 16).bit_length())
int('-' + '9' * 4301)
