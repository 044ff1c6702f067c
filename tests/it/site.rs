//! A built site as a reader meets it: navigation between lessons (sidebar, prev/next, table of
//! contents), the site's config, failures in plain sight, `build --strict`, and a headless
//! Chromium following the links of built pages.

use std::path::Path;
use std::process::{Command, Output};

use super::browser::{Browser, chromium};
use super::support::TempDir;

fn lessonrun(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lessonrun")).args(args).env("NO_COLOR", "1").output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Three lessons whose reading order is not their file names' (the config file and front
/// matter decide it), one with a plot, one failing cell and one without an expectation.
fn write_site(t: &TempDir) {
    t.write(
        "lessonrun.toml",
        "title = \"Test course\"\nsource_url = \"https://example.org/repo/blob/main/lessons/\"\norder = [\"zeta.md\"]\n",
    );
    t.write(
        "zeta.md",
        "# Zeta heading\n\nFirst by the config.\n\n## Setup\n\n```python\nprint(1 + 1)\n```\n\n```output\n2\n```\n\n\
         ## Setup\n\nA repeated heading.\n\n### Details\n\n```python\nprint('stale')\n```\n\n```output\nfresh\n```\n",
    );
    t.write(
        "b-plot.md",
        "---\ntitle: Plotting, by front matter\norder: 1\n---\n\n# Not the title\n\n## A curve\n\n\
         ```python\nimport matplotlib.pyplot as plt\nplt.plot([3, 1, 2])\nplt.title('my curve')\nplt.xlabel('step')\nplt.show()\n```\n\n\
         ## After the curve\n\n```python\nprint('no expectation')\n```\n",
    );
    t.write(
        "a-last.md",
        "# Last lesson\n\n```python hide-code\nprint('only the output')\n```\n\n```output\nonly the output\n```\n\n\
         ```python hide-output\nprint('only the code')\n```\n\n```output\nonly the code\n```\n",
    );
}

fn build(t: &TempDir, extra: &[&str]) -> (Output, std::path::PathBuf) {
    let out = t.0.join("site-out");
    let mut args = vec!["build", t.path(), "--out", out.to_str().unwrap()];
    args.extend(extra);
    (lessonrun(&args), out)
}

#[test]
fn pages_know_their_site_and_show_their_failures() {
    let t = TempDir::new("site-nav");
    write_site(&t);
    let (o, out) = build(&t, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "without --strict, differing cells do not fail the build: {err}");
    let zeta = t.0.join("zeta.md");
    let b = t.0.join("b-plot.md");
    assert!(err.contains(&format!("{}:21 fail", zeta.display())), "the failing cell is named FILE:LINE: {err}");
    assert!(err.contains(&format!("{}:20 missing", b.display())), "so is the cell without expectation: {err}");

    let (strict, _) = build(&t, &["--strict"]);
    assert_eq!(strict.status.code(), Some(1), "--strict exits 1 on differing cells: {}", stderr(&strict));

    let page = |name: &str| std::fs::read_to_string(out.join(name)).unwrap();
    let z = page("zeta.html");
    assert!(z.contains("<title>Zeta heading · Test course</title>"), "site title from the config");
    assert!(z.contains("<h2 id=\"setup\">") && z.contains("<h2 id=\"setup-1\">") && z.contains("<h3 id=\"details\">"));
    assert!(z.contains("href=\"https://example.org/repo/blob/main/lessons/zeta.md\""), "source link from the config");
    assert!(!z.contains(t.path()), "no path of the build machine in the page");
    assert!(z.contains("rel=\"next\" href=\"b-plot.html\"") && !z.contains("rel=\"prev\""), "zeta is first");
    // The failing cell: marked, with its expectation and the diff.
    let cell = &z[z.find("id=\"cell-21\"").unwrap()..];
    let cell = &cell[..cell.find("</div>\n</div>").unwrap_or(cell.len())];
    assert!(z.contains("class=\"cell status-fail differs\" id=\"cell-21\""));
    assert!(cell.contains("<pre class=\"expected\">fresh\n</pre>"), "{cell}");
    assert!(cell.contains("class=\"diff-del\">-<mark>fresh</mark>") || cell.contains("class=\"diff-del\">-fresh"), "{cell}");
    assert!(cell.contains("class=\"diff-ins\">+"), "{cell}");

    let p = page("b-plot.html");
    assert!(p.contains("<title>Plotting, by front matter · Test course</title>"), "front matter title");
    assert!(p.contains("rel=\"prev\" href=\"zeta.html\"") && p.contains("rel=\"next\" href=\"a-last.html\""), "order: config, front matter, file name");
    assert!(p.contains("class=\"cell status-missing differs\""));
    assert!(p.contains("Expected output missing"));

    let a = page("a-last.html");
    assert!(a.contains("only the output") && !a.contains("print(&#39;only the output&#39;)") && !a.contains("print('only the output')"), "hide-code");
    assert!(a.contains("only the code") && a.matches("only the code").count() == 1, "hide-output shows the code only");
    for html in [&z, &p, &a, &page("index.html")] {
        assert!(!html.contains("<script"), "built pages stay script-free");
    }
    let index = page("index.html");
    let order: Vec<usize> = ["zeta.html", "b-plot.html", "a-last.html"].iter().map(|h| index.find(&format!("href=\"{h}\"")).unwrap()).collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "the index lists lessons in reading order");

    // --title wins over the config file.
    let (_, out2) = build(&t, &["--title", "Other"]);
    assert!(std::fs::read_to_string(out2.join("zeta.html")).unwrap().contains("<title>Zeta heading · Other</title>"));
}

#[test]
fn a_bad_config_file_is_a_usage_error_naming_its_line() {
    let t = TempDir::new("site-badconfig");
    t.write("lessonrun.toml", "title = \"ok\"\ntitel = \"typo\"\n");
    t.write("a.md", "```python\nprint(1)\n```\n\n```output\n1\n```\n");
    let (o, _) = build(&t, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("lessonrun.toml:2: unknown key `titel`"), "{}", stderr(&o));
}

#[test]
fn a_browser_follows_the_navigation_of_built_pages_and_sees_figures_as_svg() {
    let Some(exe) = chromium() else {
        assert!(std::env::var("CI").is_err(), "Chromium is required in CI (.ci/run installs Debian's `chromium`)");
        eprintln!("note: skipping the browser test: no chromium on PATH (apt-get install chromium)");
        return;
    };
    let t = TempDir::new("site-browser");
    write_site(&t);
    let (o, out) = build(&t, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let browser = Browser::start(&exe);
    let mut page = browser.page();
    page.call("Page.enable", serde_json::json!({}));
    let url = |name: &str| format!("file://{}", out.join(name).display());
    page.call("Page.navigate", serde_json::json!({ "url": url("b-plot.html") }));
    assert!(page.wait_until("document.readyState === 'complete' && document.title.startsWith('Plotting')"));

    // The sidebar lists every lesson in reading order and marks this one.
    let sidebar = page.eval("[...document.querySelectorAll('nav.sidebar a')].map(a => a.getAttribute('href'))");
    assert_eq!(sidebar, serde_json::json!(["zeta.html", "b-plot.html", "a-last.html"]));
    for href in sidebar.as_array().unwrap() {
        assert!(Path::new(&out).join(href.as_str().unwrap()).is_file(), "{href} exists");
    }
    assert_eq!(page.eval("document.querySelector('nav.sidebar a[aria-current=page]').getAttribute('href')"), serde_json::json!("b-plot.html"));

    // Every table-of-contents link resolves to a heading with that id.
    let unresolved = page.eval(
        "[...document.querySelectorAll('.toc a, .toc-inline a')].map(a => a.getAttribute('href'))\
         .filter(h => { const e = document.getElementById(h.slice(1)); return !h.startsWith('#') || !e || !/^H[1-6]$/.test(e.tagName); })",
    );
    assert_eq!(unresolved, serde_json::json!([]), "TOC links without a heading");
    assert_eq!(page.eval("document.querySelectorAll('.toc a, .toc-inline a').length > 0"), serde_json::json!(true));
    assert_eq!(page.eval("document.querySelector('h2#a-curve a.anchor').getAttribute('href')"), serde_json::json!("#a-curve"));

    // The figure is an SVG with axes and its title, and it is drawn.
    let figure = page.eval(
        "(() => { const s = document.querySelector('.figure svg'); if (!(s instanceof SVGSVGElement)) return null; \
         return { axes: s.querySelectorAll('.axes').length, title: [...s.querySelectorAll('text')].some(t => t.textContent === 'my curve'), \
         ticks: s.querySelectorAll('text').length, width: s.getBoundingClientRect().width }; })()",
    );
    assert_eq!(figure["axes"], serde_json::json!(1), "{figure}");
    assert_eq!(figure["title"], serde_json::json!(true), "{figure}");
    assert!(figure["ticks"].as_u64().unwrap() > 4 && figure["width"].as_f64().unwrap() > 100.0, "{figure}");

    // rel=next and rel=prev lead where the sidebar says.
    page.click("a[rel=next]");
    assert!(page.wait_until("document.title.startsWith('Last lesson')"), "next leads to the last lesson");
    assert_eq!(page.eval("document.querySelector('a[rel=next]')"), serde_json::Value::Null, "the last lesson has no next");
    page.click("a[rel=prev]");
    assert!(page.wait_until("document.title.startsWith('Plotting')"), "prev leads back");
    page.click("a[rel=prev]");
    assert!(page.wait_until("document.title.startsWith('Zeta heading')"));
    assert_eq!(page.eval("document.querySelectorAll('script').length"), serde_json::json!(0));
}
