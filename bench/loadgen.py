"""Load generator, run as its own process: signed Instagram DM webhooks, each with a unique mid,
closed-loop (max throughput) or open-loop at a fixed rate. Prints JSON on stdout.

It speaks HTTP/1.1 over keep-alive asyncio streams with pre-built requests: a general client
(httpx) tops out near 400 requests/s here and would measure itself, not the servers."""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from urllib.parse import urlsplit

from app.platforms.meta.signature import sign
from app.sandbox.delivery import encode
from app.sandbox.payloads import instagram_dm


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def make_body(account: str, run: str, n: int, secret: str) -> tuple[bytes, dict[str, str]]:
    body = encode(
        instagram_dm(account, f"customer-{n % 500}", f"m_{run}_{n}", f"Hello number {n} 👋")
    )
    return body, {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body, secret)}


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, raw: bytes) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        if length:
            await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def raw_request(host: str, port: int, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}:{port}",
        f"Content-Length: {len(body)}",
        *(f"{k}: {v}" for k, v in headers.items()),
        "",
        "",
    ]
    return "\r\n".join(lines).encode() + body


async def main(args: argparse.Namespace) -> dict[str, object]:
    url = urlsplit(args.url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    requests = [
        raw_request(host, port, url.path, *make_body(args.account, args.run, n, args.secret))
        for n in range(args.requests)
    ]
    latencies: list[float] = []
    ok_mids: list[str] = []
    errors = 0
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(args.concurrency):
        pool.put_nowait(Connection(host, port))

    async def one(n: int) -> None:
        nonlocal errors
        connection = await pool.get()
        started = time.perf_counter()
        try:
            status = await connection.request(requests[n])
            if status == 200:
                ok_mids.append(f"m_{args.run}_{n}")
            else:
                errors += 1
        except (OSError, asyncio.IncompleteReadError, ValueError):
            connection.close()
            errors += 1
        latencies.append((time.perf_counter() - started) * 1000)
        pool.put_nowait(connection)

    started = time.perf_counter()
    if args.rate:
        tasks = []
        for n in range(args.requests):
            delay = started + n / args.rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(n)))
        await asyncio.gather(*tasks)
    else:
        await asyncio.gather(*(one(n) for n in range(args.requests)))
    elapsed = time.perf_counter() - started
    while not pool.empty():
        pool.get_nowait().close()
    return {
        "requests": args.requests,
        "ok": len(ok_mids),
        "errors": errors,
        "requests_per_s": round(args.requests / elapsed, 1),
        "p50_ms": round(statistics.median(latencies), 2),
        "p95_ms": round(percentile(latencies, 95), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "ok_mids": ok_mids,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--account", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--run", required=True)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=float, default=0.0, help="open loop at this many requests/s")
    print(json.dumps(asyncio.run(main(parser.parse_args()))))
