"""Run axe-core (bundled with axe-playwright-python, nothing downloaded) and judge the result."""

from __future__ import annotations

import json
from pathlib import Path

BLOCKING = {"serious", "critical"}


def audit(page, name: str, report_dir: Path) -> list[dict]:
    """Run axe on the page; write every violation to a report; return the blocking ones."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    violations = results.response["violations"]
    summary = [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [node["target"] for node in v["nodes"]][:5],
        }
        for v in violations
    ]
    (report_dir / f"axe-{name}.json").write_text(json.dumps(summary, indent=2))
    for v in summary:
        if v["impact"] not in BLOCKING:
            print(f"axe {name}: {v['impact']} {v['id']}: {v['help']} {v['nodes']}")
    return [v for v in summary if v["impact"] in BLOCKING]
