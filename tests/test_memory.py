"""The memory plan (memory.py): which plan each card gets, and a clear refusal when none fits."""

from __future__ import annotations

import pytest

from ourvidz_worker.errors import ConfigurationError
from ourvidz_worker.memory import FOOTPRINTS, PLANS, choose_plan, estimate_peak_gb

P480, P720 = (832, 480, 81), (1280, 720, 81)


def plan_for(variant: str, card_gb: float, largest=P480, fp8: bool = True, **options):
    # A card as start-up finds it: most of its memory free.
    return choose_plan(variant, free_gb=card_gb * 0.97, total_gb=card_gb, largest=largest, fp8_supported=fp8, **options)


@pytest.mark.parametrize(
    ("card", "expected"),
    [(16, "offload-text-encoder"), (24, "offload-text-encoder"), (48, "resident"), (80, "resident"), (141, "resident")],
)
def test_the_1_3b_model_at_480p(card, expected):
    plan = plan_for("t2v-1.3b", card)
    assert plan.name == expected and plan.expected_peak_gb <= plan.budget_gb


def test_a_24_gb_card_plans_for_at_most_20_gb_and_the_1_3b_model_stays_under_16():
    plan = plan_for("t2v-1.3b", 24)
    assert plan.budget_gb <= 20.5 and plan.expected_peak_gb <= 16
    assert (plan.text_encoder, plan.transformer, plan.vae_dtype) == ("offload", "dtype", "float32")  # exact


@pytest.mark.parametrize(
    ("card", "largest", "expected"),
    [
        (24, P480, "streamed-fp8-transformer"),
        (48, P480, "offload-text-encoder"),
        (48, P720, "fp8-transformer"),
        (80, P720, "resident"),
        (141, P720, "resident"),
    ],
)
def test_the_14b_model(card, largest, expected):
    assert plan_for("t2v-14b", card, largest).name == expected


def test_without_fp8_a_plan_that_would_need_it_fails_naming_what_would_fit():
    with pytest.raises(ConfigurationError) as caught:
        plan_for("t2v-14b", 24, P720, fp8=False)
    message = caught.value.message
    assert "t2v-14b at 1280x720x81 fits no memory plan" in message and "with FP8" in message
    assert "OURVIDZ_MAX_RESOLUTION=480p" in message and "at least" in message


def test_a_plan_can_be_named_and_an_unknown_or_impossible_one_is_refused():
    assert plan_for("t2v-1.3b", 141, requested="offload-text-encoder-tiled-vae").vae_tiling
    with pytest.raises(ConfigurationError, match="choose auto or one of resident, offload-text-encoder"):
        plan_for("t2v-1.3b", 24, requested="everything-on-the-gpu")
    with pytest.raises(ConfigurationError, match="needs FP8"):
        plan_for("t2v-1.3b", 24, fp8=False, requested="fp8-transformer")


def test_models_without_a_footprint_stay_resident():
    assert plan_for("custom", 24).name == "resident"


def test_plans_are_ordered_from_most_to_least_memory():
    peaks = [estimate_peak_gb(plan, FOOTPRINTS["t2v-14b"], 832 * 480 * 81) for plan in PLANS]
    assert peaks == sorted(peaks, reverse=True)
