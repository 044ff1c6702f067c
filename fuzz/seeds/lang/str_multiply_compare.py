print('ab' * 3, 3 * 'x', 'a' * 0, 'a' * -1 == '')
print('apple' < 'banana', 'a' * 3 == 'aaa', 'abc' != 'abd')
print(len('héllo'), 'héllo'[1], list('abc'), sorted('cba'))
print(ord('A'), chr(97), ord('é'), chr(8364))
