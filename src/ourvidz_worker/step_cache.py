"""A first-block step cache whose decision runs outside the compiled transformer blocks.

The `fast` profile skips the transformer's remaining blocks at a step when its first block's
output residual barely changed since the last step that computed them, and reuses those blocks'
residual instead — the First Block Cache of ParaAttention / diffusers. diffusers implements it as
hooks inside each block, which Dynamo cannot trace when the blocks are compiled with
`fullgraph=True` (`Unsupported: hasattr call`). Here the blocks stay untouched, so their compiled
graphs are the same for every profile, and the decision is plain eager Python between two
compiled calls.

`StepCachedBlocks` replaces `transformer.blocks` (same block modules, same state-dict keys):
while a cache is active, iterating it — which is what `WanTransformer3DModel.forward` does —
yields one runner that applies the first block, decides, and runs or skips the rest. Each
classifier-free-guidance branch keeps its own state: the pipeline calls the transformer once per
branch per step, in a fixed order, and the step callback marks the end of each step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import torch
from torch import nn


class FirstBlockStepCache:
    """Per-generation state of the cache: one entry per guidance branch."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self._branch = 0
        self._state: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}  # branch -> (head residual, tail residual)
        self.computed = 0
        self.skipped = 0

    def start(self) -> None:
        """A new generation: nothing cached yet."""
        self._branch = 0
        self._state.clear()
        self.computed = self.skipped = 0

    def step_ended(self) -> None:
        """The pipeline finished a denoising step: the next call is the first branch again."""
        self._branch = 0

    def run(self, blocks: Sequence[nn.Module], hidden: torch.Tensor, *args: torch.Tensor) -> torch.Tensor:
        branch = self._branch
        self._branch += 1
        head = blocks[0](hidden, *args)
        head_residual = head - hidden
        cached = self._state.get(branch)
        if cached is not None and self._unchanged(head_residual, cached[0]):
            self.skipped += 1
            return head + cached[1]  # the head residual kept is the one of the last computed step
        out = head
        for block in blocks[1:]:
            out = block(out, *args)
        self._state[branch] = (head_residual, out - head)
        self.computed += 1
        return out

    def _unchanged(self, residual: torch.Tensor, previous: torch.Tensor) -> bool:
        change = (residual - previous).abs().mean() / previous.abs().mean()
        return float(change) <= self.threshold


class StepCachedBlocks(nn.ModuleList):
    """`transformer.blocks` with an optional step cache in front of its iteration."""

    def __init__(self, blocks: nn.ModuleList) -> None:
        super().__init__(blocks)
        self.cache: FirstBlockStepCache | None = None

    def __iter__(self) -> Iterator[nn.Module | Callable[..., torch.Tensor]]:
        cache = self.cache
        if cache is None:
            return super().__iter__()
        blocks = list(super().__iter__())
        return iter([lambda hidden, *args: cache.run(blocks, hidden, *args)])


def install(transformer: nn.Module) -> StepCachedBlocks | None:
    """Put `StepCachedBlocks` in place of the transformer's blocks; None where it cannot serve.

    Only the plain text-to-video transformer iterates its blocks as one uniform chain; VACE adds
    its hints between blocks by index, so a VACE model runs `fast` without the step cache.
    """
    from diffusers import WanTransformer3DModel

    if type(transformer) is not WanTransformer3DModel:
        return None
    if not isinstance(transformer.blocks, StepCachedBlocks):
        transformer.blocks = StepCachedBlocks(transformer.blocks)
    return transformer.blocks
