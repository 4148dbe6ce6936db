"""The pages in a real browser: Debian's headless Chromium driven by Playwright."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists() and shutil.which("chromium") is None,
                       reason="needs Debian's chromium (apt-get install chromium)"),
]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        exe = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
        b = p.chromium.launch(executable_path=exe, args=ARGS)
        try:
            yield b
        finally:
            b.close()


def _wait_js(page, expr: str, timeout: float = 60.0) -> None:
    """Poll ``expr`` from outside the page (``wait_for_function`` evaluates strings inside it, which
    the dashboard's Content-Security-Policy forbids, as it should)."""
    import time

    end = time.monotonic() + timeout
    while not page.evaluate(expr):
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {expr}")
        page.wait_for_timeout(100)


def _page(browser, problems: list[str]):
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    page.on("console", lambda m: m.type == "error" and problems.append(f"console error: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    return page


def test_runs_list_and_poet_page(browser, server, tmp_path):
    _, url = server
    problems: list[str] = []
    page = _page(browser, problems)

    page.goto(url)
    page.wait_for_selector("table.runs tr[data-run='poet1']")
    assert page.locator("tr[data-run='poet1'] .status").inner_text() == "finished"
    assert page.locator("tr[data-run='poet1'] td").nth(1).inner_text() == "poet"
    assert "ANNECS" in page.locator("tr[data-run='poet1'] td").nth(5).inner_text()
    page.screenshot(path=str(tmp_path / "runs.png"))

    page.click("tr[data-run='poet1'] a")
    page.wait_for_url("**/run/poet1")
    page.wait_for_selector("[data-panel='chart:scores'] .main-svg")
    page.wait_for_selector("svg.tree g.node")
    # charts drawn by Plotly with the data: one line per niche, markers for the events
    scores = page.locator("[data-panel='chart:scores']")
    assert int(scores.get_attribute("data-series")) == 4  # n0..n3
    assert int(scores.get_attribute("data-markers")) >= 4  # 3 admissions and a retirement at least
    assert scores.locator(".scatterlayer .trace").count() >= 4
    assert page.locator("[data-panel='chart:annecs'] .scatterlayer path.js-line").count() == 1
    # the lineage: four courses, three edges, n0 archived (a square)
    assert page.locator("svg.tree").get_attribute("data-nodes") == "4"
    assert page.locator("svg.tree g.node").count() == 4
    assert page.locator("svg.tree path.edge").count() == 3
    assert page.locator("svg.tree g.node[data-id='0'] rect").count() == 1
    assert page.locator("[data-panel='table:niches'] tbody tr").count() == 3
    # clicking a course shows it to scale and its agent's episode, drawn on demand
    page.click("svg.tree g.node[data-id='2']")
    page.wait_for_selector(".detail h3:text('n2')")
    _wait_js(page, "document.querySelectorAll('.detail figure[data-loaded=\"1\"]').length === 2")
    sizes = page.eval_on_selector_all(".detail figure img",
                                      "imgs => imgs.map(i => [i.naturalWidth, i.naturalHeight])")
    assert sizes[0][0] > 3 * sizes[0][1] and sizes[1] == [300, 200]  # a long course; a 600x400 frame at 0.5
    page.screenshot(path=str(tmp_path / "poet.png"), full_page=True)
    assert (tmp_path / "poet.png").stat().st_size > 20_000
    # the page polls: the selection and the pictures survive an update
    polls = int(page.evaluate("document.body.dataset.polls"))
    _wait_js(page, f"Number(document.body.dataset.polls) > {polls}", timeout=20)
    assert page.locator(".detail h3").inner_text() == "n2"
    assert page.locator("svg.tree g.node.selected").get_attribute("data-id") == "2"
    assert problems == []
    page.close()


def test_es_page(browser, server):
    _, url = server
    problems: list[str] = []
    page = _page(browser, problems)
    page.goto(url + "run/es1")
    page.wait_for_selector("[data-panel='chart:curve'] .main-svg")
    assert page.locator("[data-panel='chart:curve']").get_attribute("data-points") == str(4 * 3)
    _wait_js(page, "document.querySelectorAll('figure[data-loaded=\"1\"]').length === 2")
    assert problems == []
    page.close()
