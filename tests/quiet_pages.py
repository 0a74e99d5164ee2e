"""Pages in the browser tests draw no endless animation.

A page that waits for a job shows Pico's busy sign (an SVG image that turns for ever) and, until the job
reports a percentage, an indeterminate <progress> (a CSS animation). Headless Chromium draws them in software,
60 times a second: such a page kept a quarter of a core busy (2.2-2.5 s of Chromium's CPU per 10 s, measured;
0.05 s without them), taken from the app's own work on a 2-core machine, and the browser tests spend most of
their time waiting on such pages. No test looks at the motion. A constructed stylesheet stops both; like the
browser's own styles it is outside the Content-Security-Policy's reach (the policy lets no other style in),
so the pages' policy is tested as it is."""

QUIET_PAGES_JS = """(() => {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync("*, *::before, *::after { animation: none !important; }"
    + " [aria-busy=true]::before { background-image: none !important; }");
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
})();"""


def quiet_pages(target) -> None:
    """Every page of `target` (a Playwright BrowserContext, or a Page) draws no endless animation from its
    next load on."""
    target.add_init_script(script=QUIET_PAGES_JS)
