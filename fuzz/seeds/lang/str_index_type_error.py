s = 'abc'
i = 'a'
s[i]
