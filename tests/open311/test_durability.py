"""Durability: POSTs stream at a real `citystat serve` process, which is killed with SIGKILL
mid-stream and started again on the same store; every request that got a 201 is there, intact."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from citystat.open311.keys import issue_api_key
from citystat.store import create_session_factory, open_store, upgrade_store
from tests.api.conftest import free_port
from tests.conftest import REPO
from tests.test_cli_and_server import CITYSTAT, get_when_up

CLIENTS = 4


def start_server(warehouse: Path, store_url: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CITYSTAT_WAREHOUSE": str(warehouse),
        "CITYSTAT_STORE_URL": store_url,
        "CITYSTAT_RATE_LIMIT_IP": "1000000",
        "CITYSTAT_RATE_LIMIT_API_KEY": "1000000",
    }
    server = subprocess.Popen(
        [*CITYSTAT, "serve", "--port", str(port)],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    get_when_up(port, "/healthz")
    return server


@pytest.mark.slow
def test_every_acknowledged_request_survives_sigkill(real_warehouse: Path, tmp_path: Path) -> None:
    store_url = f"sqlite:///{tmp_path / 'durable-store.db'}"
    engine = open_store(store_url)
    upgrade_store(engine)
    with create_session_factory(engine).begin() as session:
        key = issue_api_key(session, "durability")
    engine.dispose()

    port = free_port()
    server = start_server(real_warehouse, store_url, port)
    acknowledged: dict[str, str] = {}  # service_request_id -> the description it was sent with
    failures: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def fire(client: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
            n = 0
            while not stop.is_set():
                n += 1
                text = f"client {client} request {n}: pothole, ünïcode kept"
                try:
                    response = http.post(
                        "/open311/v2/requests.json",
                        data={
                            "api_key": key,
                            "service_code": "TRM-Pothole Repair",
                            "attribute[SIZE]": "medium",
                            "lat": "39.2904",
                            "long": "-76.6122",
                            "description": text,
                        },
                    )
                except httpx.TransportError:
                    return  # the server is gone: nothing was acknowledged for this one
                if response.status_code == 201:
                    with lock:
                        acknowledged[response.json()[0]["service_request_id"]] = text
                else:
                    failures.append(f"{response.status_code} {response.text}")

    threads = [threading.Thread(target=fire, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 40 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.send_signal(signal.SIGKILL)  # mid-stream: clients are still posting
    server.wait(timeout=10)
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
    assert not failures
    assert len(acknowledged) >= 40

    port = free_port()
    server = start_server(real_warehouse, store_url, port)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            for request_id, text in acknowledged.items():
                response = http.get(f"/open311/v2/requests/{request_id}.json?extensions=true")
                assert response.status_code == 200, request_id
                (shown,) = response.json()
                assert shown["description"] == text
                assert shown["service_code"] == "TRM-Pothole Repair"
                assert shown["extended_attributes"]["attributes"] == {"SIZE": "medium"}
            # the restarted server takes new requests, numbered after the survivors
            after = http.post(
                "/open311/v2/requests.json",
                data={
                    "api_key": key,
                    "service_code": "TRM-Pothole Repair",
                    "attribute[SIZE]": "small",
                    "address_string": "100 Holliday St",
                },
            )
            assert after.status_code == 201
            assert after.json()[0]["service_request_id"] not in acknowledged
    finally:
        server.terminate()
        server.wait(timeout=10)
