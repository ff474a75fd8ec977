"""Frames to web-ready files: H.264 MP4 with faststart, JPEG/PNG stills and thumbnails."""

from __future__ import annotations

import io
import subprocess
import tempfile
from pathlib import Path

import imageio_ffmpeg
import numpy as np
from PIL import Image

from .errors import EncodingError

THUMBNAIL_MAX_SIDE = 480
PREVIEW_JPEG_QUALITY = 92  # the still a user approves before paying for the video
VIDEO_CRF = 18  # visually lossless for 480p/720p web delivery
VIDEO_PRESET = "medium"  # ~1 s for 81 frames at 480p; faster presets bloat files


def encode_mp4(frames: np.ndarray, fps: int) -> bytes:
    """Encode (frames, height, width, 3) uint8 to H.264/yuv420p MP4 with moov before mdat."""
    if frames.ndim != 4 or frames.shape[3] != 3 or frames.dtype != np.uint8 or len(frames) == 0:
        raise EncodingError(f"cannot encode frames of shape {frames.shape} and dtype {frames.dtype}")
    height, width = frames.shape[1:3]
    if height % 2 or width % 2:  # yuv420p subsamples chroma by 2
        raise EncodingError(f"cannot encode frames of shape {frames.shape} and dtype {frames.dtype}")
    with tempfile.TemporaryDirectory(prefix="ourvidz-") as folder:
        path = Path(folder) / "video.mp4"
        writer = imageio_ffmpeg.write_frames(
            str(path),
            size=(width, height),
            fps=fps,
            codec="libx264",
            pix_fmt_in="rgb24",
            pix_fmt_out="yuv420p",
            quality=None,
            macro_block_size=1,
            ffmpeg_log_level="error",
            output_params=[
                "-crf", str(VIDEO_CRF),
                "-preset", VIDEO_PRESET,
                "-profile:v", "high",
                "-movflags", "+faststart",
                "-an",
            ],
        )  # fmt: skip
        try:
            writer.send(None)
            for frame in frames:
                writer.send(np.ascontiguousarray(frame))
            writer.close()
        except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
            raise EncodingError(f"ffmpeg failed to encode the MP4: {exc}") from exc
        data = path.read_bytes()
    if not data:
        raise EncodingError("ffmpeg produced an empty MP4")
    return data


def encode_asset(kind: str, frames: np.ndarray, fps: int) -> bytes:
    """The file of one asset kind (see `layout`) from a job's frames."""
    if kind == "video":
        return encode_mp4(frames, fps)
    if kind == "thumbnail":
        return encode_jpeg(frames[0], max_side=THUMBNAIL_MAX_SIDE)
    if kind == "preview":
        return encode_jpeg(frames[0], quality=PREVIEW_JPEG_QUALITY)
    if kind == "image":
        return encode_png(frames[0])
    raise ValueError(f"no encoding for asset kind {kind!r}")


def encode_jpeg(frame: np.ndarray, *, max_side: int | None = None, quality: int = 90) -> bytes:
    image = _to_image(frame, max_side)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality, optimize=True, progressive=True)
    return buffer.getvalue()


def encode_png(frame: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    _to_image(frame, None).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def decode_image(data: bytes, width: int, height: int) -> np.ndarray:
    """An uploaded still as (height, width, 3) uint8, center-cropped to the aspect, then resized.

    Raises ValueError when the bytes are not an image Pillow can read.
    """
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (OSError, Image.DecompressionBombError) as exc:
        raise ValueError(f"not a readable image ({exc})") from exc
    image = image.convert("RGB")
    scale = max(width / image.width, height / image.height)
    crop_w, crop_h = round(width / scale), round(height / scale)
    left, top = (image.width - crop_w) // 2, (image.height - crop_h) // 2
    image = image.crop((left, top, left + crop_w, top + crop_h))
    if image.size != (width, height):
        image = image.resize((width, height), Image.Resampling.LANCZOS)
    return np.asarray(image, dtype=np.uint8).copy()


def thumbnail_size(width: int, height: int, max_side: int = THUMBNAIL_MAX_SIDE) -> tuple[int, int]:
    scale = min(1.0, max_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _to_image(frame: np.ndarray, max_side: int | None) -> Image.Image:
    try:
        image = Image.fromarray(frame)
    except (TypeError, ValueError) as exc:
        raise EncodingError(f"cannot encode a frame of shape {frame.shape}: {exc}") from exc
    if max_side is not None:
        size = thumbnail_size(image.width, image.height, max_side)
        if size != image.size:
            image = image.resize(size, Image.Resampling.LANCZOS)
    return image
