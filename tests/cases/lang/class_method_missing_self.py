class K:
    def m():
        return 1
K().m()
