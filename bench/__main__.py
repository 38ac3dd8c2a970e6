from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

BENCHMARKS = ["webhook_ingest", "retrieval", "pipeline", "chaos", "publishing", "api", "agent_eval"]
RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str]) -> int:
    names = argv or BENCHMARKS
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(
            f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}",
            file=sys.stderr,
        )
        return 2
    RESULTS.mkdir(exist_ok=True)
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        result = module.run()
        text = json.dumps(result, indent=2)
        (RESULTS / f"{name}.json").write_text(text + "\n")
        print(text, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
