"""Inspecting encoded files the way a player would: ffmpeg's own stream report and MP4 boxes."""

from __future__ import annotations

import re
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg
import numpy as np


@dataclass
class VideoInfo:
    codec: str
    pix_fmt: str
    width: int
    height: int
    fps: float
    frames: int
    top_level_boxes: list[str]


def top_level_boxes(data: bytes) -> list[str]:
    boxes, offset = [], 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if size == 1:
            size = struct.unpack(">Q", data[offset + 8 : offset + 16])[0]
        elif size == 0:
            size = len(data) - offset
        boxes.append(kind.decode("latin-1"))
        offset += size
    return boxes


def probe_video(path: Path) -> VideoInfo:
    report = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)],
        capture_output=True,
        text=True,
    ).stderr
    stream = re.search(r"Stream #0:0.*?: Video: (\w+).*?, (\w+)\(.*?(\d+)x(\d+).*?, ([\d.]+) fps", report)
    assert stream, report
    frames, _ = imageio_ffmpeg.count_frames_and_secs(str(path))
    return VideoInfo(
        codec=stream.group(1),
        pix_fmt=stream.group(2),
        width=int(stream.group(3)),
        height=int(stream.group(4)),
        fps=float(stream.group(5)),
        frames=frames,
        top_level_boxes=top_level_boxes(path.read_bytes()),
    )


def decode_frames(path: Path) -> np.ndarray:
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = reader.__next__()
    width, height = meta["size"]
    frames = [np.frombuffer(f, dtype=np.uint8).reshape(height, width, 3) for f in reader]
    return np.stack(frames)
