// lessonrun serve: hear of changes and swap in what changed, keeping the reader's place.
(() => {
  const me = document.currentScript.dataset.page || decodeURIComponent(location.pathname.replace(/^\/+/, "")) || "index.html";
  let busy = false, again = false;
  const same = (a, b) => a.isEqualNode(b);
  // Replace the children of `cur` that differ from `next`'s, one level into <article>.
  function swap(cur, next) {
    const a = [...cur.children].filter(e => e.tagName !== "SCRIPT");
    const b = [...next.children].filter(e => e.tagName !== "SCRIPT");
    if (a.length !== b.length) {
      const art = cur.querySelector("article"), nart = next.querySelector("article");
      if (art && nart && cur === document.body) { a.forEach((e, i) => { if (b[i] && e.tagName === b[i].tagName && e !== art) { if (!same(e, b[i])) e.replaceWith(b[i]); } }); swapKids(art, nart); return; }
      [...cur.childNodes].forEach(n => { if (n.nodeName !== "SCRIPT") n.remove(); });
      const s = cur.querySelector("script");
      b.forEach(e => cur.insertBefore(e, s));
      return;
    }
    a.forEach((e, i) => {
      if (same(e, b[i])) return;
      if (e.tagName === "ARTICLE" && b[i].tagName === "ARTICLE") swapKids(e, b[i]); else e.replaceWith(b[i]);
    });
  }
  function swapKids(cur, next) {
    const a = [...cur.children], b = [...next.children];
    let i = 0;
    for (; i < Math.min(a.length, b.length); i++) if (!same(a[i], b[i])) a[i].replaceWith(b[i]);
    for (let j = i; j < a.length; j++) a[j].remove();
    for (let j = i; j < b.length; j++) cur.appendChild(b[j]);
  }
  async function update() {
    if (busy) { again = true; return; }
    busy = true;
    try {
      const r = await fetch(location.pathname, { cache: "no-store" });
      const doc = new DOMParser().parseFromString(await r.text(), "text/html");
      if (doc.title !== document.title) document.title = doc.title;
      swap(document.body, doc.body);
      stamp();
      document.documentElement.dataset.lrVersion = (+(document.documentElement.dataset.lrVersion || 0) + 1).toString();
    } catch (e) { console.warn("lessonrun: update failed", e); }
    busy = false;
    if (again) { again = false; update(); }
  }
  function stamp() {
    document.querySelectorAll(".lr-running").forEach(el => { if (!el.dataset.lrT0) el.dataset.lrT0 = performance.now() - +el.dataset.lrElapsed; });
  }
  setInterval(() => document.querySelectorAll(".lr-running span").forEach(s => {
    s.textContent = ((performance.now() - +s.parentNode.dataset.lrT0) / 1000).toFixed(1);
  }), 100);
  stamp();
  const es = new EventSource("/__lessonrun/events");
  es.onopen = () => { document.documentElement.dataset.lrLive = "1"; };
  es.onmessage = e => { if (e.data === me || e.data === "*" || (me === "index.html")) update(); };
})();
