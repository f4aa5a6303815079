"""axe-core, the accessibility checker, from its pinned npm package, run on a page as it stands.

    serious = violations(page)  # [] when axe finds nothing serious or critical

The script is served to the page from the page's own origin by a Playwright route (the pages' Content-Security-
Policy allows no inline script, which is what `add_script_tag(path=...)` would insert), so the pages are checked
under the policy they are served with.
"""

from __future__ import annotations

from mlsandbox import assets

AXE = assets.Asset("axe-core/axe.min.js", "npm", "axe-core", "4.14.1", "package/axe.min.js",
                   "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c")
SCRIPT = "/__axe.min.js"  # where the page finds it: answered by the route, never by the server
SERIOUS = ("serious", "critical")


def violations(page, state: str = "") -> list[str]:
    """axe's serious and critical violations on the page now, one line each: rule, impact, the first nodes."""
    if not page.evaluate("Boolean(window.axe)"):
        page.route(f"**{SCRIPT}", lambda route: route.fulfill(path=assets.require(AXE), content_type="text/javascript"))
        page.add_script_tag(url=SCRIPT)
    found = page.evaluate("""async () => {
        const { violations } = await axe.run(document, { resultTypes: ['violations'] });
        return violations.map(({ id, impact, help, nodes }) => ({ id, impact, help,
            nodes: nodes.slice(0, 3).map((n) => n.target.join(' ') + (n.failureSummary ? ': ' + n.failureSummary.split('\\n').slice(1, 2).join('').trim() : '')) }));
    }""")
    return [f"{state}: {v['id']} ({v['impact']}): {v['help']}: {'; '.join(v['nodes'])}"
            for v in found if v["impact"] in SERIOUS]
