print(repr('a'), repr("it's"), repr('say "hi"'), repr('both \' and "'), repr('tab\there'), repr('nl\n'))
print(repr('back\\slash'), repr(''), str('x'), repr('\x00\x7f'), repr('é'))
print(['a', "b'c"], {'k': 'v'})
