"""The knobs of a training run, as plain values (no PyTorch needed to read them)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Recipe:
    """The knobs of one training run."""
    epochs: int = 16
    batch_size: int = 512
    max_lr: float = 6e-3
    weight_decay: float = 0.0
    label_smoothing: float = 0.1
    augment: bool = True          # random affine on every training batch
    degrees: float = 10.0
    scale: tuple = (0.9, 1.1)
    translate: float = 0.08
    elastic: float = 0.0          # smooth random warp, typical displacement in pixels
    thickness: float = 0.0        # share of images drawn thicker (and as many thinner)
    flags: float = 0.0            # share of the 1s given a flag, as much of the world writes them
    channels_last: bool = False   # memory layout that CPU convolutions prefer
    bf16: bool = False            # mixed precision: bfloat16 arithmetic where the CPU has it natively
                                  # (AVX512-BF16 or AMX); plain float32 on other CPUs
    outliers: float = 0.0         # non-digits added to each batch, as a share of it (digits.outliers)
    outlier_weight: float = 0.5   # weight of their loss: cross-entropy to a flat target
    outlier_pool: int = 12_000    # how many different non-digits are drawn before training
    ema: float = 0.0              # keep an exponential moving average of the weights (decay per
                                  # step, e.g. 0.999) and end with it; 0: end with the last weights
    distill: float = 0.7          # with a teacher (fit's ``teacher``): weight of matching its softened
    distill_temperature: float = 4.0  # probabilities, against 1 - distill for the labels
    seed: int = 0


# The shipped MLP recipe (model.pth): see the notebook for why each knob is set so.
MLP_RECIPE = Recipe()
MLP_FAST_RECIPE = Recipe(epochs=8)
# The shipped CNN recipe (cnn.pth: trained in float32 on a GPU, `train --arch cnn --device cuda`;
# chosen among five runs by validation accuracy), and a short one that trades the last 0.1
# points for speed (channels-last: the memory layout CPU convolutions prefer; bfloat16 where the
# CPU has it natively: together about 4x faster per epoch than the conventional recipe here).
CNN_RECIPE = Recipe(epochs=76, seed=1, batch_size=128, max_lr=3e-3, label_smoothing=0.1,
                    degrees=12.0, scale=(0.85, 1.15), translate=0.1, elastic=1.0, thickness=0.15)
CNN_FAST_RECIPE = Recipe(epochs=4, batch_size=128, max_lr=4e-3, label_smoothing=0.1,
                         degrees=8.0, scale=(0.9, 1.1), translate=0.08, channels_last=True,
                         bf16=True)
# The second step that made the shipped cnn.pth: CNN_RECIPE's network fine-tuned from its trained
# weights (`train --arch cnn --init cnn.pth`) for three epochs at a tenth of its peak learning rate,
# with flags on half the 1s (MNIST's 1s are bare sticks; much of the world writes a flag).
CNN_TUNE_RECIPE = Recipe(epochs=3, seed=11, batch_size=128, max_lr=3e-4, label_smoothing=0.1,
                         degrees=12.0, scale=(0.85, 1.15), translate=0.1, elastic=1.0, thickness=0.15,
                         flags=0.5, channels_last=True, bf16=True)
