"""Encoding and decoding stills and videos (media.py)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from media_probe import top_level_boxes
from ourvidz_worker.errors import EncodingError
from ourvidz_worker.media import decode_image, encode_jpeg, encode_mp4, encode_png, thumbnail_size


def gradient(height: int, width: int) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([x * 255 // width, y * 255 // height, np.full_like(x, 90)], axis=-1).astype(np.uint8)


def test_thumbnails_keep_the_aspect_and_never_upscale():
    assert thumbnail_size(832, 480) == (480, 277)
    assert thumbnail_size(480, 832) == (277, 480)
    assert thumbnail_size(320, 240) == (320, 240)
    image = Image.open(io.BytesIO(encode_jpeg(gradient(480, 832), max_side=480)))
    assert image.format == "JPEG" and image.size == (480, 277)


def test_png_is_lossless():
    frame = gradient(64, 96)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(encode_png(frame)))), frame)


def test_decode_image_center_crops_to_the_aspect_then_resizes():
    wide = np.zeros((100, 300, 3), dtype=np.uint8)
    wide[:, 100:200] = 255  # a white centre third
    still = decode_image(encode_png(wide), 64, 64)
    assert still.shape == (64, 64, 3) and still.dtype == np.uint8
    assert still.mean() > 240  # the crop kept the centre, not the black sides


def test_decode_image_refuses_what_is_not_an_image():
    with pytest.raises(ValueError, match="not a readable image"):
        decode_image(b"<html>nope</html>", 64, 64)


def test_mp4_is_faststart_and_refuses_bad_frames():
    data = encode_mp4(np.stack([gradient(48, 64)] * 5), fps=8)
    boxes = top_level_boxes(data)
    assert boxes[0] == "ftyp" and boxes.index("moov") < boxes.index("mdat")
    with pytest.raises(EncodingError):
        encode_mp4(np.zeros((3, 47, 64, 3), dtype=np.uint8), fps=8)  # odd height: no yuv420p
    with pytest.raises(EncodingError):
        encode_mp4(np.zeros((3, 48, 64), dtype=np.uint8), fps=8)
