# Live-preview benchmark (issue #12): how long from a save to the new HTML being served by
# `lessonrun serve`, for a prose edit, an edit to the last cell of a lesson whose first cell is
# slow, the same for a training lesson (model, optimizer and training loop in its early cells),
# and a save that cancels a `while True: pass` or a long matmul; and the server's RSS over 200
# saves of a 20-cell lesson. Standard library only.
#
#   python3 bench/serve.py [BINARY]      (default target/release/lessonrun)
#
# A "save" is a write of the whole file; "served" is the first GET of the page (polled every
# millisecond) whose HTML holds a token only the new version prints.
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

BIN = sys.argv[1] if len(sys.argv) > 1 else "target/release/lessonrun"


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.read().decode()
    except OSError:
        return ""


def wait_for(url, needle, timeout=60.0):
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if needle in get(url):
            return time.perf_counter() - start
        time.sleep(0.001)
    raise SystemExit(f"timed out waiting for {needle!r} at {url}")


def save(path, text):
    with open(path, "w") as f:
        f.write(text)


def timed_save(path, text, url, needle):
    t0 = time.perf_counter()
    save(path, text)
    wait_for(url, needle)
    return time.perf_counter() - t0


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def prose_lesson(word):
    cells = "".join(f"Step {i}.\n\n```python\nx{i} = torch.arange({i + 3})\nprint(x{i}.sum())\n```\n\n" for i in range(5))
    return f"# Prose\n\n{word} opens the lesson.\n\n{cells}"


def slow_lesson(last):
    first = "```python\nacc = 0\nfor i in range(N):\n    acc += i % 7\nprint(acc)\n```\n\n"
    mid = "".join(f"```python\ny{i} = acc + {i}\n```\n\n" for i in range(3))
    return f"# Slow first cell\n\n{first}{mid}```python\nprint('last', {last})\n```\n"


def training_lesson(last, epochs):
    # A user Module with BatchNorm, Adam, a loss left holding its graph: all in the snapshots.
    setup = ("```python\nfrom torch import nn\ntorch.manual_seed(0)\nclass Net(nn.Module):\n"
             "    def __init__(self):\n        super().__init__()\n        self.fc1 = nn.Linear(32, 64)\n"
             "        self.bn = nn.BatchNorm1d(64)\n        self.fc2 = nn.Linear(64, 4)\n"
             "    def forward(self, x):\n        return self.fc2(torch.relu(self.bn(self.fc1(x))))\n"
             "model = Net()\nopt = torch.optim.Adam(model.parameters(), lr=1e-3)\n"
             "x = torch.randn(256, 32)\ny = torch.randint(0, 4, (256,))\n```\n\n")
    train = ("```python\nfor epoch in range(EPOCHS):\n    opt.zero_grad()\n"
             "    loss = nn.functional.cross_entropy(model(x), y)\n    loss.backward()\n    opt.step()\n"
             "print(round(loss.item(), 4))\n```\n\n").replace("EPOCHS", str(epochs))
    tail = ("```python\nloss = nn.functional.cross_entropy(model(x), y)\n```\n\n"
            f"```python\nloss.backward()\nopt.step()\nprint('last', {last}, model.bn.running_mean[:2])\n```\n")
    return f"# Training\n\n{setup}{train}{tail}"


def twenty_cells(k, v):
    cells = []
    for i in range(20):
        val = v if i == k else 0
        cells.append(f"```python\nt{i} = torch.randn(64, 64) + {val}\nxs{i} = [j * {val} for j in range(200)]\nprint('cell {i}', {val})\n```\n")
    return "# Twenty\n\n" + "\n".join(cells)


def main():
    tmp = tempfile.mkdtemp(prefix="lessonrun-bench-serve-")
    try:
        # N makes the first cell take about a second on this machine (calibrated below).
        save(os.path.join(tmp, "prose.md"), prose_lesson("word0"))
        save(os.path.join(tmp, "slow.md"), slow_lesson(0).replace("N", "1"))
        save(os.path.join(tmp, "stuck.md"), "# Stuck\n\n```python\nprint('ok0')\n```\n")
        save(os.path.join(tmp, "twenty.md"), twenty_cells(0, 0))
        save(os.path.join(tmp, "training.md"), training_lesson(0, 1))
        server = subprocess.Popen([BIN, "serve", tmp, "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            url = server.stdout.readline().strip().rstrip("/")
            for page, needle in [("prose", "word0"), ("slow", "last"), ("stuck", "ok0"), ("twenty", "cell 19"), ("training", "last 0")]:
                wait_for(f"{url}/{page}.html", needle)
            run(url, tmp, server.pid)
        finally:
            server.kill()
            server.wait()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(url, tmp, pid):
    # Prose edits: nothing runs, the page is re-rendered.
    p = os.path.join(tmp, "prose.md")
    times = []
    for i in range(1, 41):
        times.append(timed_save(p, prose_lesson(f"word{i}"), f"{url}/prose.html", f"word{i} opens"))
        time.sleep(0.02)
    print(f"prose edit -> new HTML served: median {statistics.median(times) * 1000:.1f} ms, "
          f"p90 {sorted(times)[int(len(times) * 0.9)] * 1000:.1f} ms ({len(times)} saves)")

    # Calibrate N so the slow first cell takes ~1 s, then compare a whole run with a last-cell edit.
    p = os.path.join(tmp, "slow.md")
    n = 200_000
    whole = timed_save(p, slow_lesson(1).replace("N", str(n)), f"{url}/slow.html", "last 1")
    n = int(n / max(whole, 0.01))
    whole_runs, last_runs = [], []
    for i in range(3):
        whole_runs.append(timed_save(p, slow_lesson(10 + i).replace("N", str(n + i)), f"{url}/slow.html", f"last {10 + i}"))
        last_runs.append(timed_save(p, slow_lesson(100 + i).replace("N", str(n + i)), f"{url}/slow.html", f"last {100 + i}"))
    w, l = statistics.median(whole_runs), statistics.median(last_runs)
    print(f"slow lesson (N={n}): whole run {w * 1000:.0f} ms; last cell edited {l * 1000:.1f} ms = {100 * l / w:.1f}% of the whole")

    # The same on a training lesson: epochs calibrated so the whole run takes ~1 s.
    p = os.path.join(tmp, "training.md")
    epochs = 20
    whole = timed_save(p, training_lesson(1, epochs), f"{url}/training.html", "last 1")
    epochs = max(1, int(epochs / max(whole, 0.01)))
    whole_runs, last_runs = [], []
    for i in range(3):
        whole_runs.append(timed_save(p, training_lesson(10 + i, epochs + i), f"{url}/training.html", f"last {10 + i}"))
        last_runs.append(timed_save(p, training_lesson(100 + i, epochs + i), f"{url}/training.html", f"last {100 + i}"))
    w, l = statistics.median(whole_runs), statistics.median(last_runs)
    print(f"training lesson ({epochs} epochs): whole run {w * 1000:.0f} ms; last cell edited {l * 1000:.1f} ms = {100 * l / w:.1f}% of the whole")

    # Cancelling a long native operation: save the fix while a 4096^2 matmul runs.
    p = os.path.join(tmp, "stuck.md")
    cancels = []
    for i in range(1, 6):
        save(p, f"# Stuck\n\n```python\nprint('multiplying{i}')\na = torch.ones(4096, 4096)\nb = a @ a\n```\n")
        wait_for(f"{url}/stuck.html", f"multiplying{i}")
        time.sleep(0.3)
        cancels.append(timed_save(p, f"# Stuck\n\n```python\nprint('mm{i}')\n```\n", f"{url}/stuck.html", f"mm{i}"))
    print(f"save cancelling a 4096^2 matmul -> fixed output served: median {statistics.median(cancels) * 1000:.1f} ms, "
          f"max {max(cancels) * 1000:.1f} ms ({len(cancels)} saves)")

    # Cancelling a stuck cell: save the fix while `while True: pass` runs.
    p = os.path.join(tmp, "stuck.md")
    cancels = []
    for i in range(1, 11):
        save(p, f"# Stuck\n\n```python\nprint('looping{i}')\nwhile True:\n    pass\n```\n")
        wait_for(f"{url}/stuck.html", f"looping{i}")
        time.sleep(0.1)
        cancels.append(timed_save(p, f"# Stuck\n\n```python\nprint('ok{i}')\n```\n", f"{url}/stuck.html", f"ok{i}"))
    print(f"save cancelling `while True: pass` -> fixed output served: median {statistics.median(cancels) * 1000:.1f} ms, "
          f"max {max(cancels) * 1000:.1f} ms ({len(cancels)} saves)")

    # Memory: 200 saves of a 20-cell lesson, each changing one cell.
    p = os.path.join(tmp, "twenty.md")
    before = rss_kib(pid)
    for i in range(1, 201):
        k = (i * 7) % 20
        timed_save(p, twenty_cells(k, i), f"{url}/twenty.html", f"cell {k} {i}")
    after = rss_kib(pid)
    print(f"200 saves of a 20-cell lesson: RSS {before / 1024:.1f} MiB -> {after / 1024:.1f} MiB "
          f"({(after - before) / 1024:+.1f} MiB)")


if __name__ == "__main__":
    main()
