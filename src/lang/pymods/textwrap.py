# textwrap for lessons: wrap, fill, shorten, dedent and indent with the default options
# (width, initial_indent, subsequent_indent, break_long_words), written for lessonrun's
# interpreter (built inside _make: see heapq.py).
def _make():
    import re

    def _chunks(text):
        text = text.expandtabs()
        for c in '\t\n\x0b\x0c\r':
            text = text.replace(c, ' ')
        return [c for c in re.split(r'( +)', text) if c]

    def wrap(text, width=70, initial_indent='', subsequent_indent='', break_long_words=True,
             **kwargs):
        # CPython's TextWrapper._wrap_chunks, without hyphen breaking and max_lines.
        if width <= 0:
            raise ValueError("invalid width %r (must be > 0)" % (width,))
        chunks = _chunks(text)
        chunks.reverse()
        lines = []
        while chunks:
            cur_line = []
            cur_len = 0
            indent = subsequent_indent if lines else initial_indent
            room = width - len(indent)
            if chunks[-1].strip() == '' and lines:
                del chunks[-1]
            while chunks:
                n = len(chunks[-1])
                if cur_len + n <= room:
                    cur_line.append(chunks.pop())
                    cur_len += n
                else:
                    break
            if chunks and len(chunks[-1]) > room:
                space_left = 1 if room < 1 else room - cur_len
                if break_long_words:
                    chunk = chunks[-1]
                    cur_line.append(chunk[:space_left])
                    chunks[-1] = chunk[space_left:]
                elif not cur_line:
                    cur_line.append(chunks.pop())
                cur_len = sum(len(c) for c in cur_line)
            if cur_line and cur_line[-1].strip() == '':
                cur_len -= len(cur_line[-1])
                del cur_line[-1]
            if cur_line:
                lines.append(indent + ''.join(cur_line))
        return lines

    def fill(text, width=70, **kwargs):
        return '\n'.join(wrap(text, width, **kwargs))

    def shorten(text, width, *, placeholder=' [...]', **kwargs):
        text = ' '.join(text.split())
        if len(text) <= width:
            return text
        words = text.split()
        out = ''
        for w in words:
            cand = w if not out else out + ' ' + w
            if len(cand) + len(placeholder) > width:
                break
            out = cand
        if not out:
            return placeholder.lstrip()
        return out + placeholder

    def dedent(text):
        lines = text.split('\n')
        margin = None
        for line in lines:
            if not line.strip():
                continue
            lead = line[:len(line) - len(line.lstrip())]
            if margin is None:
                margin = lead
            else:
                k = 0
                while k < len(margin) and k < len(lead) and margin[k] == lead[k]:
                    k += 1
                margin = margin[:k]
        out = []
        for line in lines:
            if not line.strip():
                out.append('')
            else:
                out.append(line[len(margin):] if margin else line)
        return '\n'.join(out)

    def indent(text, prefix, predicate=None):
        out = []
        for line in text.splitlines(True):
            ok = predicate(line) if predicate is not None else bool(line.strip())
            out.append(prefix + line if ok else line)
        return ''.join(out)

    return {'wrap': wrap, 'fill': fill, 'shorten': shorten, 'dedent': dedent, 'indent': indent}
