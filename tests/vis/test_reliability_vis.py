"""Reliability regressions (issue 9) for vis: what image_from_url reads and decodes, and bad
SqueezeNet weights files and image sizes."""

from __future__ import annotations

import io
import os
import struct
import threading
import zlib

import numpy as np
import pytest
from PIL import Image

from vis import image as vimage
from vis.image import ImageSourceError, ImageTooLargeError, image_from_url


def _png(img: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    return buf.getvalue()


def _call_with_deadline(fn, seconds: float = 20.0):
    """Run fn() in a thread; (returned, raised) once it ends, or fail if it blocks."""
    out: dict = {}

    def run():
        try:
            out["value"] = fn()
        except BaseException as e:  # noqa: BLE001 - handed to the test
            out["error"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"blocked for more than {seconds} s"
    return out.get("value"), out.get("error")


# ----- only regular files and http(s) -----------------------------------------------------------


def test_a_fifo_is_refused_from_its_stat_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    _, err = _call_with_deadline(lambda: image_from_url(fifo.as_uri(), timeout=2))
    assert isinstance(err, ImageSourceError) and isinstance(err, ValueError)
    assert str(err) == (
        f"image_from_url: {fifo} is a FIFO (named pipe), not a regular file; "
        "only regular files and http(s) URLs are read"
    )


@pytest.mark.parametrize("kind", ["directory", "character device"])
def test_a_directory_or_device_is_refused(tmp_path, kind):
    path = str(tmp_path) if kind == "directory" else "/dev/zero"
    if not os.path.exists(path):
        pytest.skip(f"no {path}")
    _, err = _call_with_deadline(lambda: image_from_url("file://" + path))
    assert isinstance(err, ImageSourceError)
    assert str(err).startswith(f"image_from_url: {path} is a {kind}, not a regular file")


def test_a_missing_file_and_a_remote_host_in_a_file_url_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"^image_from_url: no such file: .*nope\.png"):
        image_from_url((tmp_path / "nope.png").as_uri())
    with pytest.raises(ImageSourceError, match="must name a local file, got host 'server'"):
        image_from_url("file://server/share/a.png")


def test_file_urls_to_regular_files_and_symlinks_still_work(tmp_path):
    img = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    path = tmp_path / "a.png"
    path.write_bytes(_png(img))
    link = tmp_path / "link.png"
    link.symlink_to(path)
    np.testing.assert_array_equal(image_from_url(path.as_uri()), img)
    np.testing.assert_array_equal(image_from_url(link.as_uri()), img)


@pytest.mark.parametrize(
    "name, value",
    [
        ("timeout", 0),
        ("timeout", float("nan")),
        ("timeout", "2"),
        ("max_pixels", -1),
        ("max_bytes", True),
    ],
)
def test_limits_are_checked(tmp_path, name, value):
    with pytest.raises(ValueError, match=f"^image_from_url: {name} must be a finite number > 0"):
        image_from_url("http://example.invalid/a.png", **{name: value})


# ----- http: the timeout reaches urlopen and bounds the whole fetch (no network) ----------------


class _FakeResponse(io.BytesIO):
    def __init__(self, data: bytes, clock: list, step: float) -> None:
        super().__init__(data)
        self.clock, self.step = clock, step

    def read1(self, n: int = -1) -> bytes:
        self.clock[0] += self.step  # each socket read "takes" step seconds
        return super().read1(min(n, 1000))  # a slow server: small pieces

    def read(self, n: int = -1) -> bytes:
        raise AssertionError("read() can wait for many socket reads; read1() is used")


class _FakeOpener:
    def __init__(self, response) -> None:
        self.response, self.calls = response, []

    def open(self, url, timeout=None):
        self.calls.append((url, timeout))
        return self.response


def _fake_http(monkeypatch, data: bytes, step: float) -> _FakeOpener:
    clock = [100.0]
    opener = _FakeOpener(_FakeResponse(data, clock, step))
    monkeypatch.setattr(vimage, "_http_opener", lambda: opener)
    monkeypatch.setattr(vimage.time, "monotonic", lambda: clock[0])
    return opener


def test_http_timeout_reaches_the_opener(monkeypatch):
    img = np.full((4, 6, 3), 7, np.uint8)
    opener = _fake_http(monkeypatch, _png(img), step=0.0)
    out = image_from_url("https://example.invalid/x.png", timeout=3.5)
    np.testing.assert_array_equal(out, img)
    assert opener.calls == [("https://example.invalid/x.png", 3.5)]


def test_http_timeout_bounds_the_whole_fetch_not_each_read(monkeypatch):
    data = _png(np.random.default_rng(1).integers(0, 256, (300, 300, 3), dtype=np.uint8))
    assert len(data) > 3000  # several pieces
    _fake_http(monkeypatch, data, step=0.5)  # each piece within a 2 s socket timeout
    with pytest.raises(
        TimeoutError,
        match=r"^image_from_url: https://slow.invalid/x.png took "
        r"longer than timeout=2.0 s$",
    ):
        image_from_url("https://slow.invalid/x.png", timeout=2)


def test_redirects_only_to_http():
    import urllib.request

    handler = vimage._HttpOnlyRedirects()
    req = urllib.request.Request("http://example.invalid/a.png")
    with pytest.raises(ImageSourceError, match="redirects to 'file'"):
        handler.redirect_request(req, None, 302, "Found", {}, "file:///etc/passwd")
    with pytest.raises(ImageSourceError, match="redirects to 'ftp'"):
        handler.redirect_request(req, None, 302, "Found", {}, "ftp://example.invalid/a.png")
    assert (
        handler.redirect_request(
            req, None, 302, "Found", {}, "https://example.invalid/b.png"
        ).full_url
        == "https://example.invalid/b.png"
    )


# ----- decoded pixel count capped from the header ----------------------------------------------


def _huge_bilevel_png(side: int) -> bytes:
    """A valid side x side 1-bit grey PNG of zeros, built chunk by chunk (tiny on disk)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    z = zlib.compressobj(9)
    row = b"\x00" * (1 + (side + 7) // 8)  # filter byte + packed bits
    idat = b"".join(z.compress(row) for _ in range(side)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_a_small_png_that_decodes_huge_is_refused_before_decoding(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(_huge_bilevel_png(20000))
    assert path.stat().st_size < 200_000  # 400 million pixels from a few kB
    with pytest.raises(ImageTooLargeError) as e:
        image_from_url(path.as_uri())
    assert isinstance(e.value, ValueError)
    assert "image_from_url" in str(e.value) and "max_pixels=25000000" in str(e.value)


def test_pixel_cap_below_pils_own_limit_names_the_size(tmp_path):
    path = tmp_path / "mid.png"
    path.write_bytes(_huge_bilevel_png(6000))  # 36 M pixels: under PIL's limits, over ours
    with pytest.raises(ImageTooLargeError) as e:
        image_from_url(path.as_uri())
    assert str(e.value) == (
        f"image_from_url: {path.as_uri()} is 6000x6000 = 36000000 pixels, over max_pixels=25000000"
    )
    small = tmp_path / "small.png"
    small.write_bytes(_png(np.zeros((50, 40, 3), np.uint8)))
    with pytest.raises(ImageTooLargeError, match="is 40x50 = 2000 pixels, over max_pixels=1999"):
        image_from_url(small.as_uri(), max_pixels=1999)
    assert image_from_url(small.as_uri(), max_pixels=2000).shape == (50, 40, 3)


# ----- SqueezeNet weights files and image sizes -------------------------------------------------


def test_nan_weights_name_the_file_and_the_parameter(tmp_path):
    import torch
    import torchvision

    from vis.squeezenet import WeightsCorruptError, WeightsMismatchError, load_squeezenet

    sd = torchvision.models.squeezenet1_1(weights=None, num_classes=9).state_dict()
    sd["features.3.expand3x3.weight"][0, 0, 0, :2] = float("nan")
    sd["features.3.expand3x3.weight"][1, 0, 0, 0] = float("inf")
    path = tmp_path / "nan.pt"
    torch.save(sd, path)
    with pytest.raises(WeightsCorruptError) as e:
        load_squeezenet(path)
    n = sd["features.3.expand3x3.weight"].numel()  # 64 * 16 * 3 * 3
    assert n == 9216
    assert str(e.value) == (
        f"{path}: parameter 'features.3.expand3x3.weight' holds 2 NaN and 1 inf of {n} values"
    )
    assert isinstance(e.value, WeightsMismatchError)  # what the CLI already catches


@pytest.mark.parametrize("content", [b"", os.urandom(4096), b"PK\x03\x04" + os.urandom(100)])
def test_random_bytes_as_weights_are_one_named_line(tmp_path, content):
    from vis.squeezenet import WeightsCorruptError, load_squeezenet

    path = tmp_path / "junk.pth"
    path.write_bytes(content)
    with pytest.raises(WeightsCorruptError) as e:
        load_squeezenet(path)
    msg = str(e.value)
    assert msg.startswith(
        f"could not read weights file {path}: not a torch state dict file, or truncated ("
    )
    assert "\n" not in msg and "weights_only" not in msg
    assert e.value.__cause__ is None and e.value.__suppress_context__


def test_min_image_size_matches_what_torchvision_accepts():
    import torch
    import torchvision

    from vis.squeezenet import min_image_size

    model = torchvision.models.squeezenet1_1(weights=None, num_classes=3).eval()
    assert min_image_size(model) == (17, 17)
    with torch.no_grad():
        assert model(torch.zeros(1, 3, 17, 17)).shape == (1, 3)
        with pytest.raises(RuntimeError):
            model(torch.zeros(1, 3, 16, 16))
    assert min_image_size(torch.nn.Linear(2, 2)) is None


def _viz_calls():
    from vis.fooling import make_fooling_image
    from vis.saliency import compute_saliency_maps
    from vis.squeezenet import class_scores

    return {
        "compute_saliency_maps": lambda m, x: compute_saliency_maps(x, 0, m),
        "make_fooling_image": lambda m, x: make_fooling_image(x, 1, m, max_iter=1),
        "class_scores": lambda m, x: class_scores(m, x),
    }


@pytest.mark.parametrize("fn", ["compute_saliency_maps", "make_fooling_image", "class_scores"])
def test_a_0x0_image_is_a_named_error(builtin_model, fn):
    import torch

    from vis.squeezenet import ImageTooSmallError

    x = torch.zeros(1, 3, 0, 0)
    with pytest.raises(
        ImageTooSmallError,
        match=r"must have H, W >= 1, got \(1, 3, 0, 0\)$"
        if fn != "class_scores"
        else "is 0x0 pixels",
    ):
        _viz_calls()[fn](builtin_model, x)


@pytest.mark.parametrize(
    "fn, name", [("compute_saliency_maps", "X"), ("make_fooling_image", "X"), ("class_scores", "x")]
)
@pytest.mark.parametrize("hw", [(16, 16), (16, 64), (64, 9)])
def test_an_image_smaller_than_the_network_takes_names_the_minimum(builtin_model, fn, name, hw):
    import torch

    from vis.squeezenet import ImageTooSmallError

    x = torch.zeros(1, 3, *hw)
    with pytest.raises(ImageTooSmallError) as e:
        _viz_calls()[fn](builtin_model, x)
    assert str(e.value) == (
        f"{fn}: {name} is {hw[0]}x{hw[1]} pixels but SqueezeNet needs at "
        f"least 17x17, got shape (1, 3, {hw[0]}, {hw[1]})"
    )


def test_class_visualization_too_small_for_the_network(builtin_model):
    from vis.class_viz import create_class_visualization
    from vis.squeezenet import ImageTooSmallError

    with pytest.raises(ImageTooSmallError) as e:
        create_class_visualization(0, builtin_model, image_size=12, num_iterations=1)
    assert str(e.value) == (
        "create_class_visualization: the image (image_size=12) is 12x12 "
        "pixels but SqueezeNet needs at least 17x17, got shape (1, 3, 12, 12)"
    )
    out = create_class_visualization(0, builtin_model, image_size=17, num_iterations=1)
    assert out.shape == (1, 3, 17, 17)
