"""The web edge under oversized bodies: memory of the web process, and what a receipt costs.

    python -m bench.edge_memory [--megabytes 800] [--smoke]

uvicorn serves web.app in one process (PostgreSQL, Redis). To every route of the app, a client
streams a chunked POST (or the route's own method) of --megabytes in 1 MiB chunks, stopping when
the answer comes: each must be 413, and the web process's peak resident memory (VmHWM in
/proc, reset through clear_refs before each route) must grow by under 50 MB over its resident
size before the request.

Then receipts to /twilio/status, 200 of each kind, one at a time, timed at the client: signed
and small (for no message of ours: 404 after one look-up), unsigned, signed with a forged
signature, declared oversized (Content-Length), and chunked oversized (8 MB offered). The cost
is the web process's CPU per request (utime + stime in /proc): none may cost more than the
signed small one.
"""

from __future__ import annotations

import argparse
import http.client
import re
import select
import socket
import statistics
import time
import urllib.parse
from pathlib import Path
from typing import Any

from fastapi.routing import APIRoute

from bench.harness import PUBLIC_BASE_URL, Stack, cpu_seconds, emit, log
from testing.twilio_signing import signature

CHUNK = 1024 * 1024
GROWTH_LIMIT_MB = 50.0
RECEIPTS = 200


def public_routes() -> list[tuple[str, str]]:
    """(method, path) of every route of the app, ids filled in with 1."""
    # Only here: importing web.app builds an app from this process's settings, which the
    # benchmark's Stack has not set yet when the module is imported.
    from web.app import create_app  # noqa: PLC0415

    def walk(routes: list[Any], prefix: str = "") -> list[tuple[str, str]]:
        found = []
        for route in routes:
            if hasattr(route, "original_router"):  # an included router
                found += walk(route.original_router.routes, prefix + route.include_context.prefix)
            elif isinstance(route, APIRoute):
                method = sorted(route.methods)[0]
                found.append((method, re.sub(r"\{[^}]+\}", "1", prefix + route.path)))
        return found

    return sorted(set(walk(create_app().routes)))


def memory_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM back to the current VmRSS


def stream_chunked(
    port: int, method: str, path: str, total: int, headers: dict[str, str] | None = None
) -> tuple[int, int]:
    """Stream `total` bytes as chunks until the server answers; (status, bytes sent)."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(30)
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
    head += "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items()) + "\r\n"
    chunk = f"{CHUNK:x}\r\n".encode() + b"a" * CHUNK + b"\r\n"
    sent = 0
    try:
        sock.sendall(head.encode())
        while sent < total:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            sock.sendall(chunk)
            sent += CHUNK
        else:
            sock.sendall(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    try:
        status_line = sock.makefile("rb").readline().decode()
    except (ConnectionResetError, OSError):
        status_line = ""
    finally:
        sock.close()
    return (int(status_line.split()[1]) if status_line else 0), sent


def memory_under_oversized_bodies(pid: int, port: int, megabytes: int) -> list[dict[str, Any]]:
    results = []
    for method, path in public_routes():
        before = memory_mb(pid, "VmRSS")
        reset_peak(pid)
        started = time.perf_counter()
        status, sent = stream_chunked(port, method, path, megabytes * CHUNK)
        seconds = time.perf_counter() - started
        growth = memory_mb(pid, "VmHWM") - before
        results.append(
            {
                "route": f"{method} {path}",
                "status": status,
                "sent_mb": round(sent / CHUNK, 1),
                "peak_growth_mb": round(growth, 1),
                "seconds": round(seconds, 3),
            }
        )
        log(f"{method} {path}: {status} after {sent / CHUNK:.0f} MB sent, +{growth:.1f} MB peak")
    return results


def _receipt(port: int, kind: str, token: str) -> tuple[int, float]:
    params = {"MessageSid": "SM" + "0" * 32, "MessageStatus": "delivered", "AccountSid": "ACb"}
    if kind == "chunked oversized":
        started = time.perf_counter()
        sig = signature(PUBLIC_BASE_URL + "/twilio/status", params, token)
        status, _ = stream_chunked(
            port, "POST", "/twilio/status", 8 * CHUNK, {"X-Twilio-Signature": sig}
        )
        return status, time.perf_counter() - started
    if kind == "declared oversized":
        params["Pad"] = "x" * 70_000
    body = urllib.parse.urlencode(params)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if kind != "unsigned":
        headers["X-Twilio-Signature"] = signature(PUBLIC_BASE_URL + "/twilio/status", params, token)
    if kind == "forged signature":
        headers["X-Twilio-Signature"] = "bm90IGEgc2lnbmF0dXJlIGF0IGFsbA=="
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    started = time.perf_counter()
    connection.request("POST", "/twilio/status", body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    elapsed = time.perf_counter() - started
    connection.close()
    return response.status, elapsed


RECEIPT_KINDS = (
    "signed small",
    "unsigned",
    "forged signature",
    "declared oversized",
    "chunked oversized",
)


def receipt_costs(pid: int, port: int, token: str, count: int) -> dict[str, dict[str, Any]]:
    """Per kind: the statuses, and the web process's CPU per request (from /proc)."""
    costs = {}
    for kind in RECEIPT_KINDS:
        _receipt(port, kind, token)  # warm
        before = cpu_seconds(pid)
        runs = [_receipt(port, kind, token) for _ in range(count)]
        cpu_ms = (cpu_seconds(pid) - before) / count * 1000
        statuses = sorted({status for status, _ in runs})
        median = statistics.median(seconds for _, seconds in runs) * 1000
        costs[kind] = {
            "statuses": statuses,
            "server_cpu_ms": round(cpu_ms, 3),
            "client_median_ms": round(median, 2),
        }
        log(f"receipt {kind}: {statuses}, {cpu_ms:.3f} ms of server CPU each")
    return costs


def run(megabytes: int, receipts: int) -> dict[str, Any]:
    with Stack("edge") as stack:
        process, base_url = stack.web()
        port = int(base_url.rsplit(":", 1)[1])
        idle = memory_mb(process.pid, "VmRSS")
        routes = memory_under_oversized_bodies(process.pid, port, megabytes)
        costs = receipt_costs(process.pid, port, stack.twilio.auth_token, receipts)
        final = memory_mb(process.pid, "VmRSS")
    worst = max(r["peak_growth_mb"] for r in routes)
    signed = costs["signed small"]["server_cpu_ms"]
    cheaper = all(c["server_cpu_ms"] <= signed for c in costs.values())
    log(f"idle {idle:.0f} MB, after {final:.0f} MB; worst peak growth {worst:.1f} MB")
    return {
        "benchmark": "edge_memory",
        "megabytes": megabytes,
        "routes": len(routes),
        "all_413": all(r["status"] == 413 for r in routes),
        "idle_rss_mb": round(idle, 1),
        "final_rss_mb": round(final, 1),
        "worst_peak_growth_mb": worst,
        "per_route": routes,
        "receipts": costs,
        "receipts_cost_no_more_than_signed_small": cheaper,
        "met": all(r["status"] == 413 for r in routes) and worst < GROWTH_LIMIT_MB and cheaper,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=800)
    parser.add_argument("--receipts", type=int, default=RECEIPTS)
    parser.add_argument("--smoke", action="store_true", help="20 MB and 20 receipts, for CI")
    args = parser.parse_args(argv)
    if args.smoke:
        args.megabytes, args.receipts = 20, 20
    emit(run(args.megabytes, args.receipts))


if __name__ == "__main__":
    main()
