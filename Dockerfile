# OurVidz worker: Wan 2.1 text-to-video on RunPod serverless.
#
# Base: plain Python 3.11 (Debian bookworm, glibc 2.36). torch==2.13.0 from PyPI ships its CUDA 13.0
# runtime, cuBLAS and cuDNN 9 as pip packages, so the image needs no CUDA base of its own (a
# pytorch/pytorch or nvidia/cuda base would carry a second copy).
#
# CUDA and host drivers. The default build (PyPI's torch 2.13.0, CUDA 13.0) needs an NVIDIA driver
# of branch R580 or newer on the host; .runpod/hub.json asks RunPod for CUDA 13.0 hosts. Many RTX
# 4090 hosts run R550-R570 drivers (CUDA 12.4-12.8). For them, build the same torch version against
# CUDA 12.6 from PyTorch's index and allow CUDA 12.6+ in hub.json's allowedCudaVersions:
#
#   docker build --build-arg TORCH_INDEX_URL=https://download.pytorch.org/whl/cu126 -t ourvidz-worker:cu126 .
#
# (cu126 wheels run on R560+ drivers, and on older 12.x drivers through CUDA minor-version
# compatibility; cu128 is the choice for Blackwell cards.) The requirements' torch==2.13.0 pin stays
# satisfied by either build. Not built or run here: no Docker engine on the development machines.
#
#   docker build -t ourvidz-worker .
#   docker build -t ourvidz-worker:1.3b --build-arg BAKE_MODEL=t2v-1.3b .   (weights in the image)
#
# Without baked weights the worker reads them from the network volume (/runpod-volume), put there
# once by builder/download.py. Nothing downloads at run time: the hub libraries run offline.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
FROM ${PYTHON_IMAGE}

ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX_URL=
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# 1. PyTorch alone: the largest layer (~4 GB with its CUDA wheels) and the one that changes least.
# hadolint ignore=DL3013
RUN pip install "torch==${TORCH_VERSION}" ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"}

# 2. The pinned runtime requirements (torch is already satisfied) and the GPU extras (torchao, FP8).
COPY requirements.txt requirements-gpu.txt ./
RUN pip install -r requirements-gpu.txt

# 3. The worker package; its dependencies are all pinned above. The build fails if the shipped
#    model configs did not make it into the installed package.
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-deps . \
    && python -c "from ourvidz_worker.weights import check_shipped_configs; check_shipped_configs()"

COPY builder ./builder
COPY handler.py ./

# 4. Optional: bake weights into the image (t2v-1.3b or t2v-14b) under /models/ORG/NAME, where the
#    worker's name lookup finds them. Large (17 GB / 69 GB); the network volume is the default.
ARG BAKE_MODEL=
ARG BAKE_FORMAT=original
RUN if [ -n "$BAKE_MODEL" ]; then \
        python builder/download.py --model "$BAKE_MODEL" --format "$BAKE_FORMAT" --into /models; \
    fi

# Run time: offline, and the model chosen by name (volume first, then /models in the image).
ENV HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    HF_HUB_DISABLE_TELEMETRY=1 \
    OURVIDZ_MODEL=t2v-1.3b

CMD ["python", "-u", "handler.py"]
