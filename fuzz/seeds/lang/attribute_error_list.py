[].foo
