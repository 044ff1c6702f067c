1 + 1
'not last is not shown'
[3.0, 'a']
