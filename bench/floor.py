"""The floor a large run is measured against: the least any gate must do to list a finished run's failed tests.

It asks for the run once, then for every page of its failed and flaky tests one at a time (no retries, no
bounds, no checks, no thread), parses each page with `json.loads`, and writes the failed tests, one
`spec: title` a line. `--client requests` (the default: the gate's own HTTP library) or `--client urllib3`
(what requests is built on, a lower floor). What the gate does on top (its checks, its reports, its pages
in flight) is what `bench/run.py --only large` measures against this script's CPU time.

    python bench/floor.py --base-url URL --project-id P --run-id R --out FILE [--client urllib3]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Mapping


def getter(client: str, headers: Mapping[str, str]) -> Callable[[str, Mapping[str, str]], object]:
    """A GET of a URL with a query, to its parsed JSON, through one pool of connections."""
    if client == "urllib3":
        import urllib3

        pool = urllib3.PoolManager(headers=dict(headers))
        return lambda url, fields: json.loads(pool.request("GET", url, fields=fields).data)
    import requests

    session = requests.Session()
    session.headers.update(headers)
    return lambda url, fields: json.loads(session.get(url, params=fields).content)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--project-id", required=True)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--client", choices=("requests", "urllib3"), default="requests")
    args = parser.parse_args()
    get = getter(args.client, {"X-Api-Key": os.environ["PLAYDASH_API_KEY"], "Accept": "application/json"})
    url = f"{args.base_url}/api/external/v1/projects/{args.project_id}/runs/{args.run_id}"
    run = get(url, {})
    failed: list[str] = []
    for status in ("failed", "flaky"):
        page, total = 1, 1
        while page <= total:
            body = get(url, {"status": status, "page": str(page), "page_size": "100"})
            assert isinstance(body, dict)
            total = body["pagination"]["total_pages"]
            if status == "failed":
                failed += [
                    f"{spec['file_name']}: {test['title']}"
                    for spec in body["specs"]
                    for test in spec["tests"]
                    if test["status"] == "failed"
                ]
            page += 1
    with open(args.out, "w", encoding="utf-8") as handle:
        handle.write("\n".join(failed) + "\n")
    assert isinstance(run, dict)
    return 1 if failed or run["status"] == "failed" else 0


if __name__ == "__main__":
    sys.exit(main())
