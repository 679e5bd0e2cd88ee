"""Image utilities for the SqueezeNet visualizations: (de)normalisation, jitter, blur, loading."""

from __future__ import annotations

import http.client
import io
import math
import os
import stat
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from typing import Any

import numpy as np
import torch

SQUEEZENET_MEAN: tuple[float, float, float] = (0.485, 0.456, 0.406)
SQUEEZENET_STD: tuple[float, float, float] = (0.229, 0.224, 0.225)

ALLOWED_SCHEMES = ("http", "https", "file")
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_PIXELS = 25_000_000  # 6000 x 4000 px decode to 75 MB of RGB


def _mean_std(device: torch.device | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Return mean and std as (1, 3, 1, 1) float32 tensors."""
    mean = torch.tensor(SQUEEZENET_MEAN, dtype=torch.float32, device=device).view(1, 3, 1, 1)
    std = torch.tensor(SQUEEZENET_STD, dtype=torch.float32, device=device).view(1, 3, 1, 1)
    return mean, std


def _to_float_array(img: Any) -> np.ndarray:
    """Convert a PIL image or uint8/float numpy array (HWC or NHWC) to float32 in [0, 1]."""
    if hasattr(img, "convert") and hasattr(img, "size") and not isinstance(img, np.ndarray):
        img = np.asarray(img.convert("RGB"))
    if isinstance(img, torch.Tensor):
        raise TypeError(
            "preprocess: img must be a numpy array or PIL image (HWC/NHWC), got a torch.Tensor; "
            "use img.numpy() for an HWC array"
        )
    if not isinstance(img, np.ndarray):
        raise TypeError(
            f"preprocess: img must be a numpy array or PIL image, got {type(img).__name__}"
        )
    if img.ndim not in (3, 4) or img.shape[-1] != 3:
        raise ValueError(
            f"preprocess: img must have shape (H, W, 3) or (N, H, W, 3), got {img.shape}"
        )
    if img.dtype == np.uint8:
        return img.astype(np.float32) / 255.0
    if np.issubdtype(img.dtype, np.floating):
        out = img.astype(np.float32)
        if not np.isfinite(out).all():
            raise ValueError("preprocess: img contains NaN or inf")
        if out.size and (out.min() < -1e-6 or out.max() > 1 + 1e-6):
            raise ValueError(
                "preprocess: float img must lie in [0, 1], got range "
                f"[{out.min():.3g}, {out.max():.3g}]; pass uint8 for 0..255 data"
            )
        return out
    raise TypeError(f"preprocess: img dtype must be uint8 or floating, got {img.dtype}")


def preprocess(img: Any) -> torch.Tensor:
    """Normalise (H,W,3)/(N,H,W,3) uint8, [0,1] float or PIL image -> (N,3,H,W) float32 tensor."""
    arr = _to_float_array(img)
    if arr.ndim == 3:
        arr = arr[None]
    x = torch.from_numpy(np.ascontiguousarray(arr.transpose(0, 3, 1, 2)))  # (N, 3, H, W)
    mean, std = _mean_std()
    return (x - mean) / std


def deprocess(x: torch.Tensor, should_rescale: bool = False, as_uint8: bool = True) -> np.ndarray:
    """Undo `preprocess`: (3,H,W)/(N,3,H,W) tensor -> (H,W,3)/(N,H,W,3) uint8 or [0,1] float."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"deprocess: x must be a torch.Tensor, got {type(x).__name__}")
    if x.dim() not in (3, 4) or x.shape[-3] != 3:
        raise ValueError(
            f"deprocess: x must have shape (3, H, W) or (N, 3, H, W), got {tuple(x.shape)}"
        )
    single = x.dim() == 3
    x4 = x.detach().to(torch.float32).cpu()
    if single:
        x4 = x4[None]
    mean, std = _mean_std()
    img = x4 * std + mean  # (N, 3, H, W)
    if should_rescale:
        lo = img.amin(dim=(1, 2, 3), keepdim=True)
        hi = img.amax(dim=(1, 2, 3), keepdim=True)
        img = (img - lo) / (hi - lo).clamp_min(1e-12)
    img = img.clamp(0.0, 1.0).permute(0, 2, 3, 1).numpy()  # (N, H, W, 3)
    if as_uint8:
        img = np.round(img * 255.0).astype(np.uint8)
    return img[0] if single else img


def pixel_bounds(device: torch.device | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (lo, hi) (1,3,1,1) tensors: the normalised values of pixel 0 and 1 per channel."""
    mean, std = _mean_std(device)
    return (0.0 - mean) / std, (1.0 - mean) / std


def jitter(x: torch.Tensor, ox: int, oy: int) -> torch.Tensor:
    """Roll an (N,C,H,W) tensor by ox pixels along W and oy pixels along H."""
    if x.dim() != 4:
        raise ValueError(f"jitter: x must have shape (N, C, H, W), got {tuple(x.shape)}")
    return torch.roll(x, shifts=(int(oy), int(ox)), dims=(2, 3))


def _gaussian_kernel1d(sigma: float) -> torch.Tensor:
    """Return a normalised 1-D Gaussian kernel truncated at 4 sigma."""
    radius = max(1, int(4.0 * sigma + 0.5))
    t = torch.arange(-radius, radius + 1, dtype=torch.float32)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    return k / k.sum()


def blur_image(x: torch.Tensor, sigma: float = 1.0) -> torch.Tensor:
    """Gaussian-blur each channel of an (N,C,H,W) tensor along H and W (reflect padding)."""
    if x.dim() != 4:
        raise ValueError(f"blur_image: x must have shape (N, C, H, W), got {tuple(x.shape)}")
    if sigma < 0:
        raise ValueError(f"blur_image: sigma must be >= 0, got {sigma}")
    if sigma == 0:
        return x.clone()
    n, c, h, w = x.shape
    k = _gaussian_kernel1d(float(sigma)).to(dtype=x.dtype, device=x.device)
    r = (k.numel() - 1) // 2
    y = x.reshape(n * c, 1, h, w)
    mode_h = "reflect" if r < h else "replicate"
    mode_w = "reflect" if r < w else "replicate"
    y = torch.nn.functional.pad(y, (0, 0, r, r), mode=mode_h)
    y = torch.nn.functional.conv2d(y, k.view(1, 1, -1, 1))
    y = torch.nn.functional.pad(y, (r, r, 0, 0), mode=mode_w)
    y = torch.nn.functional.conv2d(y, k.view(1, 1, 1, -1))
    return y.reshape(n, c, h, w)


class ImageSourceError(ValueError):
    """`image_from_url` refuses a source: a scheme other than http(s)/file, or a file:// path
    that is not a regular file (a FIFO, a device, a directory), which could block forever."""


class ImageDecodeError(ValueError):
    """The bytes read are not an image PIL can decode (random, truncated, empty)."""


class ImageTooLargeError(ValueError):
    """An image is over `max_bytes` as fetched or over `max_pixels` once decoded."""


def image_from_url(
    url: str,
    timeout: float = 10.0,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> np.ndarray:
    """Fetch an http(s)/file URL into memory and decode it to an (H,W,3) uint8 RGB array.

    Only http(s) and regular files are read. `timeout` (seconds) bounds the whole http fetch,
    not just each socket read; redirects may only lead to http(s). The header's width x height
    is checked against `max_pixels` before any pixel is decoded.
    """
    where = "image_from_url"
    if not isinstance(url, str):
        raise TypeError(f"{where}: url must be a str, got {type(url).__name__}")
    parsed = urllib.parse.urlparse(url)
    scheme = parsed.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise ImageSourceError(
            f"{where}: url scheme must be one of {ALLOWED_SCHEMES}, got {scheme or '(none)'!r}"
        )
    for name, value in (("timeout", timeout), ("max_bytes", max_bytes), ("max_pixels", max_pixels)):
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not value > 0
            or not math.isfinite(value)
        ):
            raise ValueError(f"{where}: {name} must be a finite number > 0, got {value!r}")
    if scheme == "file":
        data = _read_regular_file(where, parsed, url, max_bytes)
    else:
        try:
            data = _read_http(where, url, float(timeout), int(max_bytes))
        except urllib.error.HTTPError as e:
            raise ImageSourceError(f"{where}: {url} answered HTTP {e.code} {e.reason}") from None
        except (urllib.error.URLError, http.client.HTTPException, ConnectionError) as e:
            reason = getattr(e, "reason", e)
            raise ImageSourceError(f"{where}: cannot fetch {url} ({reason})") from None
    if len(data) > max_bytes:
        raise ImageTooLargeError(f"{where}: {url} is larger than max_bytes={max_bytes}")
    return _decode(where, url, data, int(max_pixels))


def _read_regular_file(where: str, parsed: Any, url: str, max_bytes: int) -> bytes:
    """The first max_bytes + 1 bytes of a file:// URL's file; anything but a regular file is
    refused from its stat, before it is opened (opening a FIFO blocks until a writer comes)."""
    if parsed.netloc not in ("", "localhost"):
        raise ImageSourceError(
            f"{where}: file URLs must name a local file, got host {parsed.netloc!r} in {url}"
        )
    path = urllib.request.url2pathname(parsed.path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"{where}: no such file: {path} (from {url})") from None
    if not stat.S_ISREG(st.st_mode):
        raise ImageSourceError(
            f"{where}: {path} is {_file_kind(st.st_mode)}, not a regular "
            "file; only regular files and http(s) URLs are read"
        )
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # never waits for a writer
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):  # swapped since the stat
            raise ImageSourceError(f"{where}: {path} is not a regular file")
        return f.read(max_bytes + 1)


def _file_kind(mode: int) -> str:
    kinds = (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((text for test, text in kinds if test(mode)), "not a regular file")


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to http(s) (urllib would also follow one to ftp)."""

    def redirect_request(
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> Any:
        scheme = urllib.parse.urlparse(newurl).scheme.lower()
        if scheme not in ("http", "https"):
            raise ImageSourceError(
                f"image_from_url: {req.full_url} redirects to {scheme!r} "
                f"({newurl}); only http(s) redirects are followed"
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _http_opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(_HttpOnlyRedirects)


def _read_http(where: str, url: str, timeout: float, max_bytes: int) -> bytes:
    """Up to max_bytes + 1 bytes of an http(s) URL, all within `timeout` seconds: each read1
    returns after one socket read (itself bounded by `timeout`), so a server that sends a byte
    now and then cannot stretch the fetch."""
    deadline = time.monotonic() + timeout
    chunks, size = [], 0
    with _http_opener().open(url, timeout=timeout) as resp:
        read = getattr(resp, "read1", resp.read)
        while size <= max_bytes:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{where}: {url} took longer than timeout={timeout} s")
            chunk = read(min(1 << 16, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    return b"".join(chunks)


def _decode(where: str, url: str, data: bytes, max_pixels: int) -> np.ndarray:
    """Decode image bytes to (H,W,3) uint8, refusing more than max_pixels from the header."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as e:
        raise ImageTooLargeError(
            f"{where}: {url} decodes to too many pixels (max_pixels={max_pixels}; PIL: {e})"
        ) from None
    except Exception as e:  # PIL raises several types for undecodable data
        raise ImageDecodeError(f"{where}: cannot decode {url}: not an image PIL reads (PNG, JPEG, "
                               f"GIF, BMP, ...; {len(data)} bytes, {type(e).__name__})") from e
    with im:
        w, h = im.size
        if w == 0 or h == 0:
            raise ImageDecodeError(f"{where}: {url} is an empty {w}x{h} image")
        if w * h > max_pixels:
            raise ImageTooLargeError(
                f"{where}: {url} is {w}x{h} = {w * h} pixels, over max_pixels={max_pixels}"
            )
        try:
            return np.asarray(im.convert("RGB")).copy()
        except Exception as e:  # truncated or corrupt pixel data
            raise ImageDecodeError(f"{where}: could not decode the pixels of {url} "
                                   f"({type(e).__name__}: {e})") from e


SKIMAGE_PHOTOS = ("astronaut", "camera", "cat", "chelsea", "coffee", "coins", "moon", "page",
                  "rocket", "text")  # bundled with scikit-image: nothing is downloaded


def load_skimage_photo(name: str = "chelsea") -> np.ndarray:
    """Return a scikit-image bundled photo ('chelsea', 'astronaut', 'coffee') as (H,W,3) uint8."""
    import skimage.data

    if name not in SKIMAGE_PHOTOS:  # never any other skimage.data callable (download_all, ...)
        hint = " (no such file)" if isinstance(name, str) and ("/" in name or "." in name) else ""
        raise ImageSourceError(f"load_skimage_photo: name must be an existing image file or one "
                               f"of the bundled photos {SKIMAGE_PHOTOS}, got {name!r}{hint}")
    fn = getattr(skimage.data, name)
    img = np.asarray(fn())
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=-1)
    if img.ndim != 3 or img.shape[-1] not in (3, 4):
        raise ValueError(f"load_skimage_photo: {name!r} is not an RGB photo (shape {img.shape})")
    img = img[..., :3]
    if img.dtype != np.uint8:
        img = np.clip(np.round(img * 255.0 if img.max() <= 1 else img), 0, 255).astype(np.uint8)
    return img
