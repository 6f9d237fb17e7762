"""sensor_msgs Image / CompressedImage <-> OpenCV BGR arrays, without cv_bridge.

Every decoder returns a new (H, W, 3) uint8 BGR array (it never aliases ``msg.data``).
Raw images are read with ``np.frombuffer`` on ``msg.data`` and honour ``step`` (bytes per
row, >= width * bytes per pixel; the padding at the end of each row is skipped).

Encodings (names of sensor_msgs/image_encodings.hpp):
  bgr8, 8UC3          B G R per pixel
  rgb8                R G B
  bgra8 / rgba8       alpha dropped
  mono8, 8UC1         grey, copied to the three channels
  mono16              16-bit grey, scaled to 8 bits as v >> 8 (the most significant byte);
                      byte order from ``is_bigendian``
  yuv422, uyvy        packed 4:2:2, bytes U Y0 V Y1 per pixel pair (BT.601)
  yuv422_yuy2, yuyv   packed 4:2:2, bytes Y0 U Y1 V per pixel pair
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
from builtin_interfaces.msg import Time
from sensor_msgs.msg import CompressedImage, Image

DEFAULT_MAX_PIXELS = 4096 * 4096


class ImageError(ValueError):
    """An image message that cannot be turned into a BGR array (the message says why)."""


def _bgr(pixels: np.ndarray, width: int, bigendian: bool) -> np.ndarray:
    return pixels.reshape(pixels.shape[0], width, 3).copy()


def _rgb(pixels: np.ndarray, width: int, bigendian: bool) -> np.ndarray:
    return cv2.cvtColor(pixels.reshape(pixels.shape[0], width, 3), cv2.COLOR_RGB2BGR)


def _bgra(pixels: np.ndarray, width: int, bigendian: bool) -> np.ndarray:
    return cv2.cvtColor(pixels.reshape(pixels.shape[0], width, 4), cv2.COLOR_BGRA2BGR)


def _rgba(pixels: np.ndarray, width: int, bigendian: bool) -> np.ndarray:
    return cv2.cvtColor(pixels.reshape(pixels.shape[0], width, 4), cv2.COLOR_RGBA2BGR)


def _mono8(pixels: np.ndarray, width: int, bigendian: bool) -> np.ndarray:
    return cv2.cvtColor(pixels, cv2.COLOR_GRAY2BGR)


def _mono16(pixels: np.ndarray, width: int, bigendian: bool) -> np.ndarray:
    # v >> 8 is the most significant byte: the first of each pair when big-endian.
    high = pixels[:, 0::2] if bigendian else pixels[:, 1::2]  # (H, W)
    return cv2.cvtColor(np.ascontiguousarray(high), cv2.COLOR_GRAY2BGR)


def _uyvy(pixels: np.ndarray, width: int, bigendian: bool) -> np.ndarray:
    return cv2.cvtColor(pixels.reshape(pixels.shape[0], width, 2), cv2.COLOR_YUV2BGR_UYVY)


def _yuyv(pixels: np.ndarray, width: int, bigendian: bool) -> np.ndarray:
    return cv2.cvtColor(pixels.reshape(pixels.shape[0], width, 2), cv2.COLOR_YUV2BGR_YUY2)


_Decoder = Callable[[np.ndarray, int, bool], np.ndarray]
# encoding -> (bytes per pixel, decoder of the (H, width * bytes per pixel) uint8 rows)
_ENCODINGS: dict[str, tuple[int, _Decoder]] = {
    "bgr8": (3, _bgr), "8UC3": (3, _bgr), "rgb8": (3, _rgb),
    "bgra8": (4, _bgra), "rgba8": (4, _rgba),
    "mono8": (1, _mono8), "8UC1": (1, _mono8), "mono16": (2, _mono16),
    "yuv422": (2, _uyvy), "uyvy": (2, _uyvy), "yuv422_yuy2": (2, _yuyv), "yuyv": (2, _yuyv),
}
_PACKED_422 = ("yuv422", "uyvy", "yuv422_yuy2", "yuyv")
SUPPORTED_ENCODINGS: tuple[str, ...] = tuple(_ENCODINGS)


def _check_size(width: int, height: int, max_pixels: int, what: str) -> None:
    if width == 0 or height == 0:
        raise ImageError(f"{what} is empty: {width} x {height} pixels")
    if width * height > max_pixels:
        raise ImageError(f"{what} of {width} x {height} = {width * height} pixels exceeds "
                         f"the limit of {max_pixels} pixels (parameter max_pixels)")


def image_to_bgr(msg: Image, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """sensor_msgs/Image -> (H, W, 3) uint8 BGR. Raises ImageError for an unsupported
    encoding, an empty or too large image, a too small ``step`` or too little data."""
    if msg.encoding not in _ENCODINGS:
        raise ImageError(f"unsupported image encoding '{msg.encoding}'; supported: "
                         f"{', '.join(SUPPORTED_ENCODINGS)}")
    bytes_per_pixel, decode = _ENCODINGS[msg.encoding]
    width, height, step = int(msg.width), int(msg.height), int(msg.step)
    _check_size(width, height, max_pixels, f"'{msg.encoding}' image")
    if msg.encoding in _PACKED_422 and width % 2:
        raise ImageError(f"'{msg.encoding}' image has an odd width {width}: packed 4:2:2 "
                         "pixels come in pairs")
    row_bytes = width * bytes_per_pixel
    if step < row_bytes:
        raise ImageError(f"'{msg.encoding}' image step {step} is smaller than width {width} "
                         f"x {bytes_per_pixel} bytes per pixel = {row_bytes}")
    if len(msg.data) < step * height:
        raise ImageError(f"'{msg.encoding}' image has {len(msg.data)} bytes of data, needs "
                         f"step {step} x height {height} = {step * height}")
    rows = np.frombuffer(msg.data, np.uint8, count=step * height).reshape(height, step)
    return decode(rows[:, :row_bytes], width, bool(msg.is_bigendian))


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_FRAME_MARKERS = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE,
                      0xCF}                            # SOF_n: they carry the image size
JPEG_STANDALONE_MARKERS = {0x01, *range(0xD0, 0xD8)}  # TEM, RST_n: no length field


def declared_size(data: bytes) -> tuple[int, int]:
    """(width, height) a PNG or JPEG declares in its header, read without decoding (so a
    small file declaring a huge image is refused before any memory is allocated).

    PNG: the IHDR chunk right after the 8-byte signature holds width and height (big-endian
    uint32). JPEG: the first start-of-frame segment (FF C0..CF except C4, C8, CC) holds
    precision (1 byte), height and width (big-endian uint16); other segments are skipped by
    their 2-byte length."""
    if data[:8] == PNG_SIGNATURE:
        if len(data) < 24 or data[12:16] != b"IHDR":
            raise ImageError("PNG without an IHDR header")
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 4 <= len(data):
            if data[i] != 0xFF:
                raise ImageError(f"JPEG marker expected at byte {i}")
            marker = data[i + 1]
            if marker == 0xFF:                  # fill byte
                i += 1
                continue
            if marker in JPEG_STANDALONE_MARKERS:
                i += 2
                continue
            length = int.from_bytes(data[i + 2:i + 4], "big")
            if marker in JPEG_FRAME_MARKERS:
                if i + 9 > len(data):
                    break
                return (int.from_bytes(data[i + 7:i + 9], "big"),
                        int.from_bytes(data[i + 5:i + 7], "big"))
            if marker == 0xDA or length < 2:    # scan data before any frame header
                break
            i += 2 + length
        raise ImageError("JPEG without a frame header (SOF)")
    raise ImageError("compressed image is neither PNG nor JPEG (only these are accepted; "
                     "their size is checked before decoding)")


def compressed_to_bgr(msg: CompressedImage, max_pixels: int = DEFAULT_MAX_PIXELS
                      ) -> np.ndarray:
    """sensor_msgs/CompressedImage (JPEG or PNG, whatever ``format`` says) -> (H, W, 3)
    uint8 BGR. Raises ImageError when the data is empty, not JPEG/PNG, undecodable, or
    declares more than ``max_pixels`` (checked from its header, before decoding)."""
    if len(msg.data) == 0:
        raise ImageError(f"'{msg.format}' compressed image is empty: no data")
    raw = bytes(msg.data)
    width, height = declared_size(raw)
    _check_size(width, height, max_pixels, f"'{msg.format}' compressed image (its header)")
    data = np.frombuffer(raw, np.uint8)
    try:
        image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    except cv2.error as e:
        raise ImageError(f"could not decode the {len(data)} bytes of a '{msg.format}' "
                         f"compressed image: {e}") from e
    if image is None:
        raise ImageError(f"could not decode the {len(data)} bytes of a '{msg.format}' "
                         "compressed image")
    _check_size(image.shape[1], image.shape[0], max_pixels, f"'{msg.format}' compressed image")
    return image


def _check_bgr(image: np.ndarray) -> None:
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ImageError(f"expected an (H, W, 3) uint8 BGR image, got {image.shape} "
                         f"{image.dtype}")


def bgr_to_image_msg(image: np.ndarray, stamp: Time, frame_id: str) -> Image:
    """(H, W, 3) uint8 BGR -> sensor_msgs/Image with encoding bgr8 and no row padding."""
    _check_bgr(image)
    msg = Image()
    msg.header.stamp = stamp
    msg.header.frame_id = frame_id
    msg.height, msg.width = image.shape[:2]
    msg.encoding = "bgr8"
    msg.is_bigendian = 0
    msg.step = image.shape[1] * 3
    msg.data = image.tobytes()  # bytes: a fast copy (assigning an ndarray goes per element)
    return msg


def bgr_to_compressed_msg(image: np.ndarray, stamp: Time, frame_id: str,
                          quality: int = 90) -> CompressedImage:
    """(H, W, 3) uint8 BGR -> sensor_msgs/CompressedImage, format "jpeg" at ``quality``
    (0..100)."""
    _check_bgr(image)
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise ImageError(f"OpenCV could not JPEG-encode a {image.shape} image")
    msg = CompressedImage()
    msg.header.stamp = stamp
    msg.header.frame_id = frame_id
    msg.format = "jpeg"
    msg.data = encoded.tobytes()
    return msg
