"""Faults: broken model files, a missing data cache, a stop during open streams, and a cache that cannot be
written. Each breaks one thing; the rest keeps serving, and every answer says what fixes it."""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

import httpx
import numpy as np
import pytest
from PIL import Image

from conftest import free_port, running_server, start_server, wait_until_up
from mlsandbox import assets, experiments, runtime
from mlsandbox.drawings import canvas_png
from mlsandbox.experiments import ARTIFACTS_ENV, PACKAGE_ARTIFACTS
from test_assets import asset, fake_npm, leftovers, tarball  # noqa: F401 (fake_npm is a fixture)

# How each broken experiment's model is broken, one of each kind of route: a predict, a translator, a
# detector and a face reader (HTTP and WebSocket), a streaming text generator, a hand classifier, a hand landmark
# reader and an image generator. A face reader's and a VAE's second network (a companion file the card pins) is
# broken on its own, its model.onnx whole.
BROKEN = {
    "digits_cnn": "card names another sha256",
    "numbers_summation": "truncated",
    "object_detection": "bytes flipped",
    "emotions": "face_detector.onnx: bytes flipped",
    "shakespeare_lstm": "missing",
    "rps_mobilenet_v2": "not ONNX, but its card matches",  # only loading it can tell
    "rps_landmarks": "truncated",  # its pose network; the MediaPipe networks are whole
    "digits_vae": "encoder.onnx: missing",
}


def break_model(folder, how: str) -> None:
    name, _, how = how.rpartition(": ")  # a companion's name, or none: the model's
    model, card_path = folder / (name or "model.onnx"), folder / "card.json"
    data, card = model.read_bytes(), json.loads(card_path.read_text())
    if how == "missing":
        model.unlink()
    elif how == "truncated":
        model.write_bytes(data[: len(data) // 2])
    elif how == "bytes flipped":
        middle = len(data) // 2
        model.write_bytes(data[:middle] + bytes(b ^ 0xFF for b in data[middle : middle + 64]) + data[middle + 64 :])
    elif how == "card names another sha256":
        card["model"]["sha256"] = "0" * 64
    else:
        model.write_bytes(b"not an ONNX model\n" * 1000)
        card["model"].update(sha256=hashlib.sha256(model.read_bytes()).hexdigest(), bytes=model.stat().st_size)
    card_path.write_text(json.dumps(card))


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    """A server over the committed artifacts, but with BROKEN's models broken (in a copy); yields its URL."""
    artifacts = tmp_path_factory.mktemp("broken-artifacts")
    for folder in PACKAGE_ARTIFACTS.iterdir():
        if folder.name in BROKEN:
            shutil.copytree(folder, artifacts / folder.name)
            break_model(artifacts / folder.name, BROKEN[folder.name])
        else:
            (artifacts / folder.name).symlink_to(folder)
    with running_server({ARTIFACTS_ENV: str(artifacts)}) as url:
        yield url


def drawing() -> bytes:
    digit = np.zeros((28, 28), np.float32)
    digit[4:24, 12:16] = 1  # a one
    return canvas_png(digit)


def photo(seed: int = 0) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (240, 320, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG")
    return buffer.getvalue()


def request(url: str, experiment_id: str) -> httpx.Response:
    """One request to the experiment's main route, as its page makes it."""
    kind = experiments.get(experiment_id).kind
    path = f"{url}/api/experiments/{experiment_id}"
    if kind == "sequence translator":
        return httpx.post(f"{path}/translate", json={"text": "17+38"}, timeout=30)
    if kind == "text generator":
        return httpx.post(f"{path}/generate", json={"prompt": "ROMEO:\n", "length": 20, "seed": 1}, timeout=30)
    if kind == "object detector":
        return httpx.post(f"{path}/detect", content=photo(), headers={"Content-Type": "image/jpeg"}, timeout=30)
    if kind == "face reader":
        return httpx.post(f"{path}/faces", content=photo(), headers={"Content-Type": "image/jpeg"}, timeout=30)
    if kind == "image generator":
        return httpx.post(f"{path}/pictures", json={"seed": 7, "count": 4}, timeout=30)
    image, content_type = (drawing(), "image/png") if experiment_id.startswith(("digits", "sketch", "clothes")) else \
        (photo(), "image/jpeg")
    return httpx.post(f"{path}/predict", content=image, headers={"Content-Type": content_type}, timeout=30)


def test_a_broken_model_answers_503_with_the_fix_and_the_list_says_so(broken):
    listed = {e["id"]: e for e in httpx.get(f"{broken}/api/experiments", timeout=30).json()}
    for experiment_id, how in BROKEN.items():
        e = listed[experiment_id]
        assert not e["trained"] and e["sha256"] is None, f"{experiment_id} ({how}) is listed as served"
        assert f"mlsandbox train {experiment_id}" in e["problem"] or "convert" in e["problem"], e["problem"]
        response = request(broken, experiment_id)
        assert response.status_code == 503, f"{experiment_id} ({how}): {response.status_code} {response.text[:200]}"
        assert response.json()["detail"] == e["problem"]
        assert httpx.get(f"{broken}/api/experiments/{experiment_id}", timeout=30).json()["problem"] == e["problem"]
    assert "has no model at" in listed["shakespeare_lstm"]["problem"]
    assert "truncated?" in listed["numbers_summation"]["problem"]
    assert "not the model the card describes" in listed["object_detection"]["problem"]
    assert "git checkout" in listed["digits_cnn"]["problem"]
    assert "not a readable ONNX model" in listed["rps_mobilenet_v2"]["problem"]
    for experiment_id, how in BROKEN.items():  # a companion's problem names the file and how to restore it
        name = how.rpartition(": ")[0]
        if name:
            assert f"{name} is missing or not the {name} its card names" in listed[experiment_id]["problem"]
            assert "restore it from the repository" in listed[experiment_id]["problem"]


def test_every_other_experiment_keeps_serving(broken):
    listed = {e["id"]: e for e in httpx.get(f"{broken}/api/experiments", timeout=30).json()}
    others = [i for i, e in experiments.REGISTRY.items() if i not in BROKEN and e.model_path.is_file()]
    assert {"digits_mlp", "sketch_cnn", "shakespeare_transformer", "image_classification"} <= set(others)
    for experiment_id in others:
        assert listed[experiment_id]["trained"], listed[experiment_id]["problem"]
        response = request(broken, experiment_id)  # a reader of hands may find none in noise: a 422 that says so
        assert response.status_code in (200, 422), f"{experiment_id}: {response.text[:300]}"
    assert "event: end" in request(broken, "shakespeare_transformer").text


@pytest.mark.parametrize("experiment_id", ["object_detection", "emotions"])  # its model broken; its companion
def test_the_camera_socket_of_a_broken_camera_model_closes_with_a_reason(broken, experiment_id):
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    with pytest.raises(ConnectionClosed) as closed:
        with connect(f"{broken.replace('http', 'ws')}/api/experiments/{experiment_id}/frames") as socket:
            socket.send(photo())
            socket.recv(timeout=30)
    assert closed.value.rcvd.code == 1013 and f"/api/experiments/{experiment_id}" in closed.value.rcvd.reason


def test_the_home_page_shows_each_broken_model_and_its_fix(broken, browser):
    page = browser.new_page()
    try:
        page.goto(broken)
        page.wait_for_selector("[data-testid=experiments][aria-busy=false]")
        for experiment_id in BROKEN:
            card = page.get_by_test_id(f"experiment-{experiment_id}")
            problem = card.locator(".problem")
            assert problem.is_visible()
            assert "mlsandbox train" in problem.inner_text() or "convert" in problem.inner_text()
            assert "not being served" in card.inner_text().lower()
        assert page.get_by_test_id("experiment-digits_mlp").locator(".problem").count() == 0
    finally:
        page.close()


def test_a_model_is_hashed_again_only_when_its_file_changes_and_a_damaged_one_stops_serving(tmp_path, monkeypatch):
    shutil.copytree(PACKAGE_ARTIFACTS / "digits_mlp", tmp_path / "digits_mlp")
    monkeypatch.setenv(ARTIFACTS_ENV, str(tmp_path))
    e, hashed = experiments.get("digits_mlp"), []
    monkeypatch.setattr(runtime, "sha256_of", lambda path: hashed.append(path) or assets.sha256_of(path))
    model = runtime.served(e)
    assert runtime.checked(e) == model.sha256 and runtime.served(e) is model and len(hashed) == 1
    with open(e.model_path, "r+b") as f:  # damaged while it is served
        f.seek(1000)
        f.write(b"\0" * 16)
    with pytest.raises(runtime.ModelUnavailable, match="not the model the card describes"):
        runtime.served(e)
    shutil.copyfile(PACKAGE_ARTIFACTS / "digits_mlp" / "model.onnx", e.model_path)  # restored
    assert runtime.served(e) is model and len(hashed) == 3


def test_a_restored_companion_serves_again(tmp_path, monkeypatch):
    """A face reader whose face detector went missing is refused with the fix; once the file is restored, as the
    fix says, it serves again."""
    shutil.copytree(PACKAGE_ARTIFACTS / "emotions", tmp_path / "emotions")
    monkeypatch.setenv(ARTIFACTS_ENV, str(tmp_path))
    e, detector = experiments.get("emotions"), tmp_path / "emotions" / "face_detector.onnx"
    detector.unlink()
    with pytest.raises(runtime.ModelUnavailable, match="face_detector.onnx is missing or not the face_detector.onnx"):
        runtime.served(e)
    shutil.copyfile(PACKAGE_ARTIFACTS / "emotions" / "face_detector.onnx", detector)  # restored
    assert runtime.served(e).find(Image.open(io.BytesIO(photo())).convert("RGB")) == []  # noise: no face


def test_a_missing_data_cache_disables_only_the_sketch_examples(tmp_path):
    with running_server({assets.CACHE_ENV: str(tmp_path)}) as url:
        label = experiments.get("sketch_cnn").labels[0]
        examples = httpx.get(f"{url}/api/experiments/sketch_cnn/examples", params={"label": label}, timeout=30)
        assert examples.status_code == 503 and "`mlsandbox fetch`" in examples.json()["detail"]
        assert request(url, "sketch_cnn").status_code == 200
        assert httpx.get(f"{url}/api/experiments/sketch_cnn", timeout=30).json()["trained"]
        assert httpx.get(f"{url}/api/experiments/numbers_summation/held-out", timeout=30).status_code == 200
    assert list(tmp_path.iterdir()) == [], "the server wrote to the cache"


def test_sigterm_during_open_streams_stops_the_server_cleanly_and_promptly():
    port = free_port()
    process = start_server(port)
    url = f"http://127.0.0.1:{port}"
    started = threading.Barrier(4)

    def generate():
        body = {"prompt": "ROMEO:\n", "length": 5000}
        try:
            with httpx.stream("POST", f"{url}/api/experiments/shakespeare_lstm/generate", json=body, timeout=30) as r:
                lines = r.iter_lines()
                next(lines)
                started.wait(timeout=30)
                for _ in lines:
                    pass
        except httpx.HTTPError:
            pass  # the server closed the stream: what a stopped server does

    try:
        wait_until_up(url, process)
        streams = [threading.Thread(target=generate) for _ in range(3)]
        for thread in streams:
            thread.start()
        started.wait(timeout=30)
        assert httpx.get(f"{url}/api/health", timeout=5).json()["streams"] == 3
        stopped = time.monotonic()
        process.send_signal(signal.SIGTERM)
        status = process.wait(timeout=10)
        seconds = time.monotonic() - stopped
    finally:
        process.kill()
    log = process.log()
    assert status == 0 and seconds < 5 and "Traceback" not in log, (status, seconds, log)
    for thread in streams:
        thread.join(timeout=10)


# --- `mlsandbox fetch` into a cache that cannot be written ---------------------------------------------

def refuse_writes(monkeypatch, cache, how: str) -> None:
    """Make the cache read-only (no folder can be made in it), or full (a file being written runs out of space
    half-way), as the operating system would say it."""
    if how == "read-only":
        real_mkdir = os.mkdir

        def mkdir(path, *args, **kwargs):
            if str(path).startswith(str(cache)):
                raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
            return real_mkdir(path, *args, **kwargs)

        monkeypatch.setattr(os, "mkdir", mkdir)
    else:
        def copyfileobj(source, target, *args):
            target.write(source.read(100))
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(shutil, "copyfileobj", copyfileobj)


@pytest.mark.parametrize("how", ["read-only", "full"])
def test_fetch_into_a_cache_that_cannot_be_written_is_a_clear_error_and_leaves_nothing(fake_npm, monkeypatch, how):
    cache = assets.cache_dir()
    if how == "full":
        cache.mkdir()
    refuse_writes(monkeypatch, cache, how)
    with pytest.raises(assets.AssetError) as error:
        assets.fetch(asset())
    message = str(error.value)
    assert f"The cache {cache} cannot be written" in message and "`mlsandbox fetch`" in message
    assert ("Read-only file system" if how == "read-only" else "No space left on device") in message
    assert not asset().path.exists() and (not cache.exists() or leftovers(cache) == [])


@contextmanager
def tmpfs(path, options: str):
    """A real tmpfs mounted at path for the block (root only; skipped where mounting is not allowed)."""
    path.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here: the in-process tests above simulate it")
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=True)


@pytest.mark.parametrize("how,options", [("read-only", "ro,size=1m"), ("full", "size=64k")])
def test_mlsandbox_fetch_on_a_real_read_only_or_full_cache(fake_npm, tmp_path, how, options):
    (tmp_path / "fake.tgz").write_bytes(tarball(np.random.default_rng(0).bytes(1 << 20)))  # more than fits
    with tmpfs(tmp_path / "small", options) as cache:
        done = subprocess.run([sys.executable, "-m", "mlsandbox", "fetch", "digits_cnn"], capture_output=True,
                              text=True, env={**os.environ, assets.CACHE_ENV: str(cache)}, timeout=120)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        assert f"mlsandbox: error: The cache {cache} cannot be written" in done.stderr
        assert "`mlsandbox fetch`" in done.stderr
        assert list(cache.iterdir()) == []
    assert len(fake_npm()) == (0 if how == "read-only" else 1)  # a full cache fails as npm writes the package
