class W:
    def __str__(self):
        return 5
str(W())
