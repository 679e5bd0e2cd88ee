"""Regressions from the red-team attack (issue 9), vis side."""
from __future__ import annotations

import socket

import pytest

from vis.image import ImageSourceError, image_from_url


def _closed_port() -> int:
    """A local TCP port with nothing listening (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_http_url_is_an_image_source_error_naming_it():
    url = f"http://127.0.0.1:{_closed_port()}/x.png"
    with pytest.raises(ImageSourceError, match=f"cannot fetch {url} .*refused"):
        image_from_url(url, timeout=5)


def test_http_error_status_is_an_image_source_error(monkeypatch):
    import urllib.error

    import vis.image as image

    class Opener:
        def open(self, url, timeout):
            raise urllib.error.HTTPError(url, 404, "Not Found", {}, None)

    monkeypatch.setattr(image, "_http_opener", lambda: Opener())
    with pytest.raises(ImageSourceError, match="answered HTTP 404 Not Found"):
        image_from_url("http://example.invalid/x.png", timeout=5)


@pytest.mark.parametrize("name", ["download_all", "load", "__name__", "data_dir"])
def test_load_skimage_photo_calls_only_bundled_photos(name, monkeypatch):
    import skimage.data

    from vis.image import load_skimage_photo

    called = []
    monkeypatch.setattr(skimage.data, "download_all", lambda *a, **k: called.append(a))
    with pytest.raises(ImageSourceError, match="one of the bundled photos"):
        load_skimage_photo(name)
    assert called == []  # nothing downloaded


def test_load_skimage_photo_of_a_missing_path_says_so():
    from vis.image import load_skimage_photo

    with pytest.raises(ImageSourceError, match="existing image file .*'/tmp/none.png' "
                                               r"\(no such file\)"):
        load_skimage_photo("/tmp/none.png")


def test_undecodable_and_empty_images_are_named(tmp_path):
    import struct
    import zlib

    from vis.image import ImageDecodeError

    junk = tmp_path / "junk.png"
    junk.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(ImageDecodeError, match="cannot decode .*junk.png: not an image PIL "
                                               r"reads .*1024 bytes") as info:
        image_from_url(junk.as_uri())
    assert "BytesIO" not in str(info.value)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    empty = tmp_path / "empty.png"  # a 0 x 5 RGB PNG: valid header, no pixels
    empty.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 0, 5, 8, 2,
                                                                          0, 0, 0))
                      + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))
    with pytest.raises(ValueError, match="empty.png"):
        image_from_url(empty.as_uri())
