s = "  Hello, World  "
print(s.strip().lower().replace("world", "there"), s.count("l"), s.find("W"))
print("-".join(["a", "b"]), "a,b,,c".split(","), "x".center(5, "*"), "42".zfill(5))
print("Title case words".title(), "abc".startswith(("x", "a")), "ABC".isupper())
