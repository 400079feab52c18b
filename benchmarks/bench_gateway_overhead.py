"""Gateway overhead: one call through ``Gateway.complete`` vs the same call made with litellm.

Both go to the same local OpenAI-compatible server (the test suite's), one call at a
time, taken in turn; the gateway adds its bookkeeping (the key lookup, classifying the
answer, the attempt record, the cost), not work. Goal: overhead < 2 ms per call.

    python benchmarks/bench_gateway_overhead.py [--calls 200] [--warm-up 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
# The gateway reads the keychain on its calls: an in-memory one, never the real one; and
# no provider key from the environment is sent to the local server.
os.environ["PYTHON_KEYRING_BACKEND"] = "tests.helpers.memkeyring.MemoryKeyring"
os.environ.pop("OPENAI_API_KEY", None)

from desktop_app.core.spec_model import ModelSpec  # noqa: E402
from desktop_app.llm.gateway import PLACEHOLDER_KEY, Gateway, warm_up  # noqa: E402
from tests.helpers.llm_server import LLMServer  # noqa: E402

MESSAGES = [
    {"role": "system", "content": "You reply politely."},
    {"role": "user", "content": "Hello there"},
]


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="timed calls on each side")
    parser.add_argument("--warm-up", type=int, default=20, help="untimed calls on each side")
    args = parser.parse_args()
    warm_up()  # litellm imported and configured before timing: both sides use it
    import litellm

    with LLMServer() as server:
        spec = ModelSpec(
            name="openai/test-model",
            api_base=server.url,
            retries=0,
            input_cost_per_mtok=1.0,
            output_cost_per_mtok=2.0,
        )
        gateway = Gateway(local_only=True)

        def direct() -> None:
            litellm.completion(
                model=spec.name,
                messages=MESSAGES,
                api_base=server.url,
                api_key=PLACEHOLDER_KEY,
                temperature=spec.temperature,
                max_tokens=spec.max_tokens,
                timeout=spec.timeout_s,
                num_retries=0,
                max_retries=0,
                drop_params=True,
            )

        def via_gateway() -> None:
            gateway.complete(spec, MESSAGES)

        for _ in range(args.warm_up):
            direct()
            via_gateway()
        times: dict[str, list[float]] = {"direct": [], "gateway": []}
        for _ in range(args.calls):  # in turn, so a slow moment of the machine hits both
            times["direct"].append(timed(direct))
            times["gateway"].append(timed(via_gateway))
        sent = len(server.completions)

    expected = 2 * (args.warm_up + args.calls)
    assert sent == expected, f"{sent} requests reached the server, expected {expected}"
    median = {name: statistics.median(t) * 1000 for name, t in times.items()}
    best = {name: min(t) * 1000 for name, t in times.items()}
    print(f"calls: {args.calls} on each side, in turn, after {args.warm_up} warm-up calls each")
    for name, label in (("direct", "litellm direct"), ("gateway", "gateway       ")):
        print(f"{label}: median {median[name]:.3f} ms/call, best {best[name]:.3f} ms")
    overhead = median["gateway"] - median["direct"]
    print(
        f"gateway overhead: {overhead:+.3f} ms/call median "
        f"({best['gateway'] - best['direct']:+.3f} ms best)  (goal < 2 ms)"
    )


if __name__ == "__main__":
    main()
