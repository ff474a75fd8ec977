"""Creator LoRAs by name: the `{name}.safetensors` files of the LoRA folder (OURVIDZ_LORA_DIR)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .errors import InvalidInputError


class LoraLibrary:
    """The LoRA folder as jobs see it: which names exist, and where each file is."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    def available(self) -> list[str]:
        folder = self.folder
        return sorted(p.stem for p in folder.glob("*.safetensors")) if folder and folder.is_dir() else []

    def path(self, name: str) -> Path:
        if self.folder is None:
            raise InvalidInputError.for_field("metadata.loras", "no LoRA folder is configured on this worker")
        return self.folder / f"{name}.safetensors"

    def require(self, names: Sequence[str]) -> None:
        """Raise InvalidInputError naming every entry of `names` that is not in the folder."""
        available = self.available()
        details = [
            {
                "field": f"metadata.loras.{i}.name",
                "message": f"unknown LoRA {name!r}; available: {', '.join(available) or 'none configured'}",
            }
            for i, name in enumerate(names)
            if name not in available
        ]
        if details:
            raise InvalidInputError("; ".join(f"{d['field']}: {d['message']}" for d in details), details=details)
