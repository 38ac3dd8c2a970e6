"""One table of task names and queues (app/queue.py) that the worker's decorators, Celery's
routes, Beat and the API's publishers all use: a name written differently in one of them would
be a task nobody runs."""

from __future__ import annotations

from app import queue


def _worker_app():  # type: ignore[no-untyped-def]
    from workers.celery_app import celery_app

    celery_app.loader.import_default_modules()  # what a worker imports at start
    return celery_app


def test_every_task_in_the_table_is_registered_on_the_worker_and_nothing_else() -> None:
    registered = {name for name in _worker_app().tasks if name.startswith("socialsync.")}
    assert registered == set(queue.TASK_QUEUES)


def test_each_task_is_routed_to_its_queue_and_every_queue_is_consumed() -> None:
    app = _worker_app()
    for name, expected in queue.TASK_QUEUES.items():
        assert app.amqp.router.route({}, name)["queue"].name == expected, name
    assert {q.name for q in app.conf.task_queues} == set(queue.QUEUES)
    assert set(queue.TASK_QUEUES.values()) <= set(queue.QUEUES)
    assert set(queue.QUEUE_BY_KIND.values()) <= set(queue.QUEUES)


def test_beat_sends_each_job_to_its_tasks_queue() -> None:
    schedule = _worker_app().conf.beat_schedule
    assert schedule, "Beat has jobs"
    for entry in schedule.values():
        assert entry["task"] in queue.TASK_QUEUES
        assert entry["options"]["queue"] == queue.TASK_QUEUES[entry["task"]]


async def test_the_api_publishes_on_the_tasks_queue(servers, redis_client) -> None:
    import redis.asyncio as aioredis

    redis_client.delete(*queue.QUEUES)
    client = aioredis.Redis.from_url(servers.redis_url)
    try:
        assert await queue.publish(client, [(queue.INGEST_DOCUMENT, ["d", "w"])])
        assert await queue.publish(client, [(queue.SEND_OUTBOUND, ["o", "w"])])
    finally:
        await client.aclose()
    assert (redis_client.llen("default"), redis_client.llen("high")) == (1, 1)
    redis_client.delete(*queue.QUEUES)
