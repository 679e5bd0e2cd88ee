"""Tests for vis.image: (de)processing, jitter, blur, in-memory URL loading, bundled photos."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image
from scipy.ndimage import gaussian_filter1d

from vis.image import (
    SQUEEZENET_MEAN,
    SQUEEZENET_STD,
    blur_image,
    deprocess,
    image_from_url,
    jitter,
    load_skimage_photo,
    pixel_bounds,
    preprocess,
)


def _rand_uint8(*shape: int) -> np.ndarray:
    return np.random.default_rng(3).integers(0, 256, shape, dtype=np.uint8)


def test_constants_are_the_imagenet_statistics():
    assert SQUEEZENET_MEAN == (0.485, 0.456, 0.406)
    assert SQUEEZENET_STD == (0.229, 0.224, 0.225)


def test_preprocess_normalises_and_round_trips_uint8():
    img = _rand_uint8(20, 30, 3)
    x = preprocess(img)
    assert x.shape == (1, 3, 20, 30) and x.dtype == torch.float32
    want = (img[5, 7, 1] / 255.0 - SQUEEZENET_MEAN[1]) / SQUEEZENET_STD[1]
    assert x[0, 1, 5, 7].item() == pytest.approx(want, abs=1e-6)
    np.testing.assert_array_equal(deprocess(x[0]), img)
    np.testing.assert_array_equal(deprocess(x), img[None])


def test_preprocess_batch_float_and_pil_agree():
    batch = _rand_uint8(4, 16, 16, 3)
    x = preprocess(batch)
    assert x.shape == (4, 3, 16, 16)
    torch.testing.assert_close(preprocess(batch.astype(np.float64) / 255.0), x)
    torch.testing.assert_close(preprocess(Image.fromarray(batch[2])), x[2:3])
    back = deprocess(x, as_uint8=False)
    assert back.dtype == np.float32 and back.shape == (4, 16, 16, 3)
    np.testing.assert_allclose(back, batch / 255.0, atol=1e-6)


def test_deprocess_rescale_spans_full_range():
    x = torch.randn(1, 3, 8, 8) * 0.1
    out = deprocess(x, should_rescale=True)
    assert out.min() == 0 and out.max() == 255


@pytest.mark.parametrize(
    "bad, exc, words",
    [
        (np.zeros((8, 8), np.uint8), ValueError, "(H, W, 3)"),
        (np.zeros((8, 8, 4), np.uint8), ValueError, "(8, 8, 4)"),
        (np.zeros((8, 8, 3), np.int32), TypeError, "int32"),
        (np.full((8, 8, 3), 2.0), ValueError, "[0, 1]"),
        (torch.zeros(8, 8, 3), TypeError, "torch.Tensor"),
        ([[1, 2, 3]], TypeError, "list"),
    ],
)
def test_preprocess_rejects_bad_input_naming_it(bad, exc, words):
    with pytest.raises(exc) as info:
        preprocess(bad)
    assert "img" in str(info.value) and words in str(info.value)


def test_deprocess_rejects_bad_shape():
    with pytest.raises(ValueError, match=r"x must have shape .*\(2, 8, 8\)"):
        deprocess(torch.zeros(2, 8, 8))


def test_pixel_bounds_are_normalised_zero_and_one():
    lo, hi = pixel_bounds()
    torch.testing.assert_close(
        deprocess(lo.expand(1, 3, 2, 2), as_uint8=False),
        np.zeros((1, 2, 2, 3), np.float32),
        check_dtype=False,
    )
    torch.testing.assert_close(preprocess(np.ones((2, 2, 3), np.float32)), hi.expand(1, 3, 2, 2))


def test_jitter_is_roll_and_invertible():
    x = torch.arange(2 * 3 * 5 * 7, dtype=torch.float32).reshape(2, 3, 5, 7)
    j = jitter(x, 2, -1)
    assert j[0, 0, 0, 2].item() == x[0, 0, 1, 0].item()
    torch.testing.assert_close(jitter(j, -2, 1), x)
    with pytest.raises(ValueError, match="x must have shape"):
        jitter(x[0], 1, 1)


def test_blur_matches_scipy_gaussian_and_keeps_constants():
    x = torch.randn(2, 3, 17, 19, dtype=torch.float64)
    sigma = 1.3
    want = gaussian_filter1d(x.numpy(), sigma, axis=2, mode="mirror", truncate=4.0)
    want = gaussian_filter1d(want, sigma, axis=3, mode="mirror", truncate=4.0)
    np.testing.assert_allclose(blur_image(x, sigma).numpy(), want, atol=1e-6)
    c = torch.full((1, 3, 9, 9), 0.7)
    torch.testing.assert_close(blur_image(c, 2.0), c)
    assert blur_image(x, sigma).std() < x.std()
    with pytest.raises(ValueError, match="sigma"):
        blur_image(x, -1.0)


def _png_bytes(img: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    return buf.getvalue()


def test_image_from_url_reads_file_url_in_memory(tmp_path):
    img = _rand_uint8(12, 10, 3)
    path = tmp_path / "pic.png"
    path.write_bytes(_png_bytes(img))
    before = sorted(p.name for p in tmp_path.iterdir())
    out = image_from_url(path.as_uri())
    np.testing.assert_array_equal(out, img)
    assert out.dtype == np.uint8
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.parametrize(
    "url", ["ftp://example.com/a.png", "data:image/png;base64,AAAA", "/tmp/a.png"]
)
def test_image_from_url_rejects_other_schemes(url):
    with pytest.raises(ValueError, match="scheme"):
        image_from_url(url)


def test_image_from_url_enforces_size_limit_and_decodability(tmp_path):
    data = _png_bytes(_rand_uint8(32, 32, 3))
    path = tmp_path / "big.png"
    path.write_bytes(data)
    with pytest.raises(ValueError, match="max_bytes"):
        image_from_url(path.as_uri(), max_bytes=len(data) - 1)
    assert image_from_url(path.as_uri(), max_bytes=len(data)).shape == (32, 32, 3)
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image")
    with pytest.raises(ValueError, match="decode"):
        image_from_url(junk.as_uri())


def test_load_skimage_photo():
    cat = load_skimage_photo("chelsea")
    assert cat.dtype == np.uint8 and cat.ndim == 3 and cat.shape[2] == 3
    assert preprocess(cat).shape == (1, 3, *cat.shape[:2])
    with pytest.raises(ValueError, match="name"):
        load_skimage_photo("no_such_photo")
