"""A worker loads the agent's local models when it starts, not with its first message: loaded
then, they hold the worker's one event loop for seconds and every reply in flight waits."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# a fresh interpreter: in the test process other tests may have loaded the models already
CHECK = """
from celery.signals import worker_init
from app.agent import language
from app.agent.moderation import profanity_scorer
import workers.runtime  # connects the start-up handlers

assert language._identifier.cache_info().currsize == 0
assert profanity_scorer.cache_info().currsize == 0
worker_init.send(sender=None)
print(language._identifier.cache_info().currsize, profanity_scorer.cache_info().currsize)
"""


def test_the_worker_start_up_loads_language_identification_and_the_profanity_model() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHECK],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home())},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-2:] == ["1", "1"]
