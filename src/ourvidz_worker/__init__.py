"""OurVidz worker: Wan 2.1 text-to-video jobs from RunPod's queue to private storage."""

__version__ = "0.1.0"
