"""The naive gate the benchmarks compare against: how most hand-written gates and common quality-gate
actions work. A fixed 5-second polling loop, then the failed and flaky tests one page at a time; any
error waits the same 5 seconds and tries again.

    python bench/baseline.py --base-url URL --project-id P --run-id R [--poll 5] [--json-file F]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import requests


def get(session: requests.Session, url: str, poll: float, **params: object) -> dict:
    while True:
        try:
            response = session.get(url, params=params, timeout=30)
            if response.status_code == 200:
                return response.json()
        except (requests.RequestException, ValueError):
            pass
        time.sleep(poll)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--project-id", required=True)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--poll", type=float, default=5.0)
    parser.add_argument("--json-file")
    args = parser.parse_args()
    session = requests.Session()
    session.headers["X-Api-Key"] = os.environ["PLAYDASH_API_KEY"]
    url = f"{args.base_url}/api/external/v1/projects/{args.project_id}/runs/{args.run_id}"
    while True:
        run = get(session, url, args.poll)
        if not run["is_running"]:
            break
        time.sleep(args.poll)
    tests: dict[str, list] = {}
    for status in ("failed", "flaky"):
        page, tests[status] = 1, []
        while True:
            body = get(session, url, args.poll, status=status, page=page, page_size=100)
            for spec in body["specs"]:
                tests[status] += [(spec["file_name"], t["title"]) for t in spec["tests"] if t["status"] == status]
            if page >= body["pagination"]["total_pages"]:
                break
            page += 1
    stats = {s["name"]: s["value"] for s in run["run_statistics"]}
    if args.json_file:
        with open(args.json_file, "w", encoding="utf-8") as handle:
            json.dump({"statistics": stats, **tests}, handle)
    return 1 if stats.get("Failed", 0) else 0


if __name__ == "__main__":
    sys.exit(main())
