"""The first-block step cache (step_cache.py): when it skips, per-branch state, the blocks it wraps."""

from __future__ import annotations

import torch
from torch import nn

from ourvidz_worker.step_cache import FirstBlockStepCache, StepCachedBlocks, install


class Add(nn.Module):
    """A block that adds a settable amount: its residual is exactly that amount."""

    def __init__(self, amount: float) -> None:
        super().__init__()
        self.amount = amount
        self.calls = 0

    def forward(self, hidden: torch.Tensor, *args: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return hidden + self.amount


def test_a_step_whose_first_block_barely_changed_reuses_the_rest():
    head, tail = Add(1.0), Add(10.0)
    cache = FirstBlockStepCache(threshold=0.05)
    cache.start()
    x = torch.zeros(2, 3)
    assert torch.equal(cache.run([head, tail], x), x + 11)  # nothing cached: computed
    cache.step_ended()
    head.amount = 1.02  # 2 % change of the head residual: below the threshold
    assert torch.allclose(cache.run([head, tail], x), x + 11.02)  # head output + the cached tail residual
    assert (tail.calls, cache.computed, cache.skipped) == (1, 1, 1)
    cache.step_ended()
    head.amount = 2.0  # compared with the last computed head residual (1.0): a real change
    assert torch.equal(cache.run([head, tail], x), x + 12)
    assert (tail.calls, cache.computed, cache.skipped) == (2, 2, 1)


def test_each_guidance_branch_keeps_its_own_state():
    head, tail = Add(1.0), Add(10.0)
    cache = FirstBlockStepCache(threshold=0.05)
    cache.start()
    x = torch.zeros(1)
    cache.run([head, tail], x)  # step 1, conditional
    head.amount = 5.0
    cache.run([head, tail], x)  # step 1, unconditional: its own first computation
    cache.step_ended()
    assert tail.calls == 2
    head.amount = 1.0
    cache.run([head, tail], x)  # step 2, conditional: unchanged against its branch's 1.0 -> skipped
    head.amount = 5.0
    cache.run([head, tail], x)  # step 2, unconditional: unchanged against 5.0 -> skipped
    assert (tail.calls, cache.skipped) == (2, 2)
    cache.start()  # a new generation forgets everything
    cache.run([head, tail], x)
    assert tail.calls == 3


def test_wrapped_blocks_iterate_as_before_until_a_cache_is_active(tiny_model):
    import copy

    transformer = copy.deepcopy(tiny_model.pipe.transformer)
    keys = list(transformer.state_dict())
    blocks = install(transformer)
    assert isinstance(transformer.blocks, StepCachedBlocks) and install(transformer) is blocks
    assert list(transformer.state_dict()) == keys  # same modules, same names: LoRAs and weights still fit
    assert [type(b).__name__ for b in blocks] == ["WanTransformerBlock"] * len(blocks)
    blocks.cache = FirstBlockStepCache(0.05)
    (runner,) = list(blocks)
    assert callable(runner) and not isinstance(runner, nn.Module)


def test_vace_transformers_are_left_alone():
    from ourvidz_worker.models import build_tiny_pipeline

    assert install(build_tiny_pipeline(vace=True).transformer) is None
