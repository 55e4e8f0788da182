"""A small loopback load generator: `connections` threads, each sending GET requests one after
another (a new connection per request: gunicorn's sync workers close each one) for `seconds`.
Returns requests/s and latency percentiles of the 200 responses; any other status is counted."""
import http.client
import statistics
import threading
import time


def load(host: str, port: int, path: str, *, cookie: str = "", connections: int = 32, seconds: float = 10) -> dict:
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    headers = {"Cookie": cookie, "Connection": "close"} if cookie else {"Connection": "close"}

    def worker():
        mine, bad = [], []
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                conn = http.client.HTTPConnection(host, port, timeout=30)
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                conn.close()
            except OSError as exc:
                bad.append(type(exc).__name__)
                continue
            if response.status == 200:
                mine.append(time.perf_counter() - started)
            else:
                bad.append(f"{response.status} {response.getheader('Location') or ''}")
        with lock:
            latencies.extend(mine)
            failures.extend(bad)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else float("nan")

    return {"rps": len(latencies) / elapsed, "p50": pct(0.50), "p99": pct(0.99), "ok": len(latencies),
            "failed": len(failures), "failures": sorted(set(failures))[:5],
            "mean": statistics.fmean(latencies) * 1000 if latencies else float("nan")}
