"""The web reader in a real browser (headless Debian chromium driven by Playwright).

Skips, saying why, when /usr/bin/chromium or the playwright package is missing (.ci/browser-setup.sh
installs both). Playwright's own browser download is never used. Screenshots go to
$NEWSFUSE_ARTIFACTS/screenshots (default: artifacts/screenshots in the checkout).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:  # the serve test helpers (tests/test_serve_support.py) live one level up
    sys.path.append(str(TESTS))
CHROMIUM = os.environ.get("NEWSFUSE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def artifacts_dir() -> Path:
    root = os.environ.get("NEWSFUSE_ARTIFACTS")
    base = Path(root) if root else TESTS.parent / "artifacts"
    out = base / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    return out


def _missing(reason: str) -> None:
    """Skip where the browser is absent; in CI (NEWSFUSE_REQUIRE_BROWSER=1) that is a failure."""
    if os.environ.get("NEWSFUSE_REQUIRE_BROWSER") == "1":
        pytest.fail(reason + " (required: NEWSFUSE_REQUIRE_BROWSER=1)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        _missing(
            f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium; see .ci/browser-setup.sh)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("browser tests need the playwright package (pip install playwright; see .ci/browser-setup.sh)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Base URL of a server on the fixture store (one per test module)."""
    from test_serve_support import serve

    for url, _pipe in serve(tmp_path_factory.mktemp("browser")):
        yield url


class PageWatch:
    """Collects console errors, page errors and CSP violations of one page."""

    def __init__(self, page) -> None:  # noqa: ANN001
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))


@pytest.fixture
def desktop(browser):
    ctx = browser.new_context(viewport=DESKTOP)
    page = ctx.new_page()
    page.watch = PageWatch(page)
    yield page
    ctx.close()


@pytest.fixture
def phone(browser):
    ctx = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = ctx.new_page()
    page.watch = PageWatch(page)
    yield page
    ctx.close()


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

# WCAG 2 relative luminance contrast of an element's text against the first opaque background behind it.
_CONTRAST_JS = """
(els) => {
  const parse = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const bg = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  return els.filter((el) => el.offsetParent !== null && el.textContent.trim()).map((el) => {
    const a = lum(parse(getComputedStyle(el).color).slice(0, 3)), b = lum(bg(el));
    return [el.className || el.tagName, el.textContent.trim().slice(0, 30), (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)];
  });
}
"""


def _no_errors(page) -> None:  # noqa: ANN001
    assert page.watch.errors == [], page.watch.errors


def test_front_page(desktop, site):
    page = desktop
    resp = page.goto(site + "/")
    assert resp.status == 200
    assert "script-src 'self'" in resp.headers["content-security-policy"]
    assert page.locator("h1").inner_text() == "Top stories"
    cards = page.locator(".story-card")
    assert cards.count() == 3
    first = cards.first
    assert first.locator("h2").inner_text() == "Harbor Bridge closed after inspectors find cracks in main span"
    assert "3 outlets" in first.locator(".card-meta").inner_text()
    assert first.locator(".card-points li").count() == 3
    # the stylesheet loaded under the CSP (no inline styles anywhere)
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(244, 245, 247)"
    _no_errors(page)


def test_landmarks_skip_link_and_contrast(desktop, site):
    page = desktop
    page.goto(site + "/stories/s-bridge")
    assert page.get_attribute("html", "lang") == "en"
    for sel in ("body > header", "header nav[aria-label]", "main#content", "body > footer"):
        assert page.locator(sel).count() == 1, sel
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"
    # visible keyboard focus: a focused control gets an outline
    page.locator(".cite-btn").first.focus()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    sample = page.locator(
        "h1, .story-meta span, .chip, .panel > h2, .sent, .point-outlets, .cite-btn, .matrix th, .legend span,"
        " .tl-meta, .tl-title a, .entity, .count, .hint, .frame-outlet, .term, .figures td, .site-nav a"
    ).element_handles()
    ratios = page.evaluate(_CONTRAST_JS, sample)
    assert len(ratios) > 30
    low = [r for r in ratios if r[2] < 4.5]
    assert low == [], low
    _no_errors(page)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_contrast_in_both_colour_schemes(browser, site, scheme):
    ctx = browser.new_context(viewport=DESKTOP, color_scheme=scheme)
    page = ctx.new_page()
    selectors = {
        "/": "h1, .lede, label, .card-meta span, .card-meta time, .card-title a, .card-points li, .chip, .button",
        "/stories/s-bridge": ".story-meta span, .sent, .point-outlets, .cite-btn, .matrix th, .legend span, .tl-meta,"
        " .tl-title a, .entity, .count, .hint, .frame-outlet, .frame-headline a, .term, .figures td, .quote p,"
        " .quote figcaption, .only-list li, .tag, .site-nav a",
    }
    for path, sel in selectors.items():
        page.goto(site + path)
        ratios = page.evaluate(_CONTRAST_JS, page.locator(sel).element_handles())
        assert len(ratios) > 10, path
        low = [r for r in ratios if r[2] < 4.5]
        assert low == [], (scheme, path, low)
    page.goto(site + "/check")
    page.fill("#summary", "About 90,000 vehicles cross the bridge every day. The mayor resigned.")
    page.select_option("#story", "s-bridge")
    page.get_by_role("button", name="Check summary").click()
    page.wait_for_selector(".verdicts")
    ratios = page.evaluate(
        _CONTRAST_JS, page.locator(".badge, .verdict-score, .verdict-sentence, .evidence p").element_handles()
    )
    assert [r for r in ratios if r[2] < 4.5] == [], scheme
    ctx.close()


def test_open_a_story_and_read_a_citation(desktop, site):
    page = desktop
    page.goto(site + "/")
    page.get_by_role("link", name="Harbor Bridge closed after inspectors find cracks in main span").click()
    page.wait_for_url(re.compile(r"/stories/s-bridge$"))
    assert page.locator("h1").inner_text().startswith("Harbor Bridge closed")
    for title in ("The story so far", "Key points", "Who reports what", "Figures that differ", "Quotes"):
        assert page.get_by_role("heading", name=title).is_visible(), title
    assert page.get_by_role("heading", name="How each outlet framed it").is_visible()
    assert page.get_by_role("heading", name="Timeline of coverage").is_visible()

    # keyboard: Tab reaches a citation, its source sentence shows, Escape hides it
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('cite-btn')"):
            break
    else:
        pytest.fail("no citation reachable by keyboard")
    btn = page.locator(".cite-btn:focus")
    tip = page.locator("#" + btn.get_attribute("aria-describedby"))
    assert tip.is_visible()
    assert "The Harbor Bridge was closed to all traffic on Tuesday" in tip.inner_text()
    assert "Harbor Ledger" in tip.inner_text()
    assert btn.get_attribute("aria-label") == "Source 1: Harbor Ledger"
    page.keyboard.press("Escape")
    assert not tip.is_visible()

    # mouse: hovering a citation shows its sentence
    kp_cite = page.locator(".points li").nth(3).locator(".cite").first
    kp_cite.hover()
    assert kp_cite.locator(".cite-tip").is_visible()
    assert "Engineers expect the repairs to take at least six weeks." in kp_cite.locator(".cite-tip").inner_text()
    # its link leads to the outlet's article
    link = kp_cite.locator("a.cite-link").first
    assert link.get_attribute("href") == "https://northside.example/2024/05/14/bridge"

    # coverage matrix and figure conflict content
    matrix = page.locator("table.matrix")
    assert matrix.locator("thead th").count() == 4  # fact + 3 outlets (the syndicated copy adds none)
    assert "about 40,000" in page.locator("table.figures").inner_text()
    assert "Maria Okafor" in page.locator(".quotes").inner_text()
    _no_errors(page)


def test_follow_a_citation_to_the_cited_sentence(desktop, site):
    page = desktop
    page.goto(site + "/stories/s-bridge")
    # Valley Courier has no URL: its citations lead to newsfuse's copy with the sentence marked
    cite = page.locator(".cite", has=page.locator(".cite-btn[aria-label='Source 3: Valley Courier']")).first
    cite.locator(".cite-btn").click()
    assert cite.locator(".cite-tip").is_visible()
    cite.get_by_role("link", name="Read the article").click()
    page.wait_for_url(re.compile(r"/articles/s-bridge-a3\?hl="))
    mark = page.locator("mark#cited")
    assert mark.is_visible()
    assert mark.inner_text() in page.locator(".reader-text").inner_text()
    assert mark.inner_text() == "The bridge was closed to all traffic on Tuesday morning."
    page.get_by_role("link", name="← Back to the story").click()
    page.wait_for_url(re.compile(r"/stories/s-bridge$"))
    _no_errors(page)


def test_tap_a_citation_on_a_phone(phone, site):
    page = phone
    page.goto(site + "/stories/s-bridge")
    cite = page.locator(".points .cite").first
    cite.locator(".cite-btn").tap()
    tip = cite.locator(".cite-tip")
    assert tip.is_visible()
    box = tip.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert cite.locator(".cite-btn").get_attribute("aria-expanded") == "true"
    page.locator("h1").tap()
    assert not tip.is_visible()
    # nothing is wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    _no_errors(page)


def test_check_a_summary_on_the_page(desktop, site):
    page = desktop
    page.goto(site + "/stories/s-bridge")
    page.get_by_role("link", name="Check against this story").click()
    page.wait_for_url(re.compile(r"/check\?story=s-bridge"))
    assert page.locator("#story").input_value() == "s-bridge"
    page.fill(
        "#summary",
        "The Harbor Bridge was closed on Tuesday after inspectors found cracks in its main span. "
        "About 90,000 vehicles cross the bridge every day. The mayor resigned in disgrace.",
    )
    page.get_by_role("button", name="Check summary").click()
    page.wait_for_selector(".verdicts")
    labels = page.locator(".verdict .badge").all_inner_texts()
    assert [lbl.strip(" ✓✕?\n") for lbl in labels] == ["Supported", "Contradicted", "Unsupported"]
    assert "1 of 3" in page.locator(".score-line").inner_text()
    assert "vehicles" in page.locator(".verdict").nth(1).locator(".evidence").inner_text()
    assert page.evaluate("document.activeElement.id") == "results"
    page.evaluate("window.scrollTo(0, 0)")  # the sticky header sits at the top of a full-page shot
    page.screenshot(path=str(artifacts_dir() / "check-desktop.png"), full_page=True)
    _no_errors(page)


def test_check_form_works_without_javascript(browser, site):
    ctx = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    page = ctx.new_page()
    page.goto(site + "/check")
    page.fill("#summary", "New tram lines will receive 120 million dollars.")
    page.fill("#sources", "s-budget-a2\n---\nThe council met on Monday.")
    page.get_by_role("button", name="Check summary").click()
    page.wait_for_selector(".verdicts")
    assert "Supported" in page.locator(".verdict .badge").first.inner_text()
    assert page.locator("#summary").input_value().startswith("New tram lines")  # the form keeps its input
    ctx.close()


def test_hostile_titles_do_not_execute(desktop, site):
    page = desktop
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    for path in ("/", "/stories/s-hostile", "/articles/s-hostile-a1", "/?q=budget+row", "/check"):
        page.goto(site + path)
        assert page.evaluate("window.__pwned") is None, path
        assert page.locator("a[href^='javascript:' i]").count() == 0, path
        assert page.locator("main script, main img, main svg, main b").count() == 0, path
    page.goto(site + "/stories/s-hostile")
    assert "<script>window.__pwned=1</script>" in page.locator("h1").inner_text()
    assert '<img src=x onerror="window.__pwned=2">' in page.locator("h1").inner_text()
    assert page.title().startswith("<script>")
    assert dialogs == []
    _no_errors(page)


@pytest.mark.parametrize(("name", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_screenshots(browser, site, name, viewport):
    """Front page and story page screenshots at desktop and phone widths (for people to look at)."""
    ctx = browser.new_context(viewport=viewport, device_scale_factor=1)
    page = ctx.new_page()
    out = artifacts_dir()
    for label, path in (("front", "/"), ("story", "/stories/s-bridge")):
        page.goto(site + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], (label, name)
        target = out / f"{label}-{name}.png"
        page.screenshot(path=str(target), full_page=True)
        assert target.stat().st_size > 10_000
    page.goto(site + "/stories/s-bridge")
    page.locator(".synthesis .cite-btn").first.click()
    page.screenshot(path=str(out / f"citation-{name}.png"))
    ctx.close()
