ord('ab')
