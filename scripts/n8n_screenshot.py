"""docs/n8n-node.png: the Socialtap node open in n8n's editor, taken with headless Chromium.

``make docs-n8n-screenshot`` runs it (after installing Debian's chromium and Playwright
into the dev cache). The scene is the shipped example workflow against the Metrika
sandbox through ``socialtap serve``, with the package installed as a community package
and the workflow run once, so the node shows its params and its output items.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from socialtap.testing import serve_sandbox

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "integrations" / "n8n" / "node"
sys.path.insert(0, str(ROOT / "scripts"))
from n8n_editor import BROWSER_ID, n8n_editor  # noqa: E402

sys.path.insert(0, str(ROOT / "tests" / "n8n"))
import test_n8n_workflows as helpers  # noqa: E402  (n8n_env, socialtap_serve)


def main(n8n: str, out: Path) -> None:
    """Write the screenshot to ``out``."""
    tmp = Path(tempfile.mkdtemp(prefix="socialtap-n8n-shot-"))
    try:
        env = helpers.n8n_env(tmp / "user", {})
        installed = tmp / "user" / ".n8n" / "nodes" / "node_modules" / "n8n-nodes-socialtap"
        shutil.copytree(PACKAGE / "dist", installed / "dist")
        shutil.copy(PACKAGE / "package.json", installed / "package.json")
        with serve_sandbox("metrika") as sandbox:
            serve_env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIALTAP_")}
            serve_env["SOCIALTAP_METRIKA_BASE_URL"] = sandbox.base_url
            with helpers.socialtap_serve(serve_env) as serve_url:
                credentials = [
                    {
                        "id": "socialtapServe01",
                        "name": "socialtap serve",
                        "type": "socialtapApi",
                        "data": {"serveUrl": serve_url},
                    },
                    {
                        "id": "socialtapMetrika01",
                        "name": "Metrika",
                        "type": "socialtapMetrikaApi",
                        "data": {"serveUrl": serve_url, "vendor": "metrika", "token": sandbox.credentials["token"]},
                    },
                ]
                (tmp / "credentials.json").write_text(json.dumps(credentials))
                for what, path in (("credentials", tmp / "credentials.json"), ("workflow", PACKAGE / "example-workflow.json")):
                    helpers.subprocess.run(
                        [n8n, f"import:{what}", f"--input={path}"], env=env, check=True, capture_output=True, timeout=300
                    )
                with n8n_editor(n8n, env, tmp / "n8n-start.log") as editor:
                    shoot(editor, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def shoot(editor, out: Path) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1440, "height": 900}, device_scale_factor=1)
        # The session's cookie is bound to its browser-id, which the editor keeps in localStorage.
        context.add_init_script(f"window.localStorage.setItem('n8n-browserId', {json.dumps(BROWSER_ID)});")
        context.add_cookies(
            [{"name": c.name, "value": c.value, "url": editor.url} for c in editor.session.cookies if c.name == "n8n-auth"]
        )
        page = context.new_page()
        page.goto(f"{editor.url}/workflow/socialtapNode01", wait_until="networkidle")
        page.wait_for_timeout(2000)
        page.keyboard.press("Escape")  # any first-visit notice
        page.get_by_text("Execute workflow", exact=False).first.click(force=True)
        page.wait_for_timeout(5000)
        # Open the node: a double-click on its box, just above its label (on the pane it would zoom).
        label = page.get_by_text("Metrika accounts", exact=True).first.bounding_box()
        page.mouse.dblclick(label["x"] + label["width"] / 2, label["y"] - 40)
        page.wait_for_timeout(3000)
        page.screenshot(path=str(out))
        browser.close()


if __name__ == "__main__":
    main(os.environ.get("SOCIALTAP_N8N", "n8n"), Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "docs" / "n8n-node.png"))
