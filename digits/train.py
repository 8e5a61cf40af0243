"""Training and evaluation on in-memory tensors: batches are slices, not DataLoader items.

``fit`` runs Adam + cross-entropy under a one-cycle learning-rate schedule, with
optional batch augmentation, a tqdm progress bar and a per-epoch history.
``evaluate`` returns accuracy, per-class accuracy and the confusion matrix.
"""
from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from .data import flag_ones, normalize, random_affine, random_thickness
from .recipes import CNN_FAST_RECIPE, CNN_RECIPE, MLP_FAST_RECIPE, MLP_RECIPE, Recipe  # noqa: F401


def _batches(n, batch_size, generator=None, shuffle=False):
    device = generator.device if generator is not None else None
    order = torch.randperm(n, generator=generator, device=device) if shuffle else torch.arange(n, device=device)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


@torch.no_grad()
def logits_of(model, images, batch_size=2000):
    """Model outputs for images in [0, 1], in evaluation mode, batch by batch, on the
    model's device (returned on the CPU)."""
    was_training = model.training
    device = next(model.parameters()).device
    model.eval()
    out = torch.cat([model(normalize(images[i:i + batch_size].to(device))).float().cpu()
                     for i in range(0, len(images), batch_size)])
    model.train(was_training)
    return out


def evaluate(model, images, labels) -> dict:
    """Accuracy, per-class accuracy (10,) and confusion matrix (true x predicted)."""
    predicted = logits_of(model, images).argmax(1)
    confusion = torch.bincount(labels * 10 + predicted, minlength=100).reshape(10, 10)
    per_class = [confusion[d, d].item() / max(1, confusion[d].sum().item()) for d in range(10)]
    return {
        "accuracy": (predicted == labels).sum().item() / len(labels),
        "per_class": per_class,
        "confusion": confusion,
        "predicted": predicted,
    }


def _outlier_pool(images, labels, recipe):
    """For a recipe with ``outliers``: the non-digits it mixes into its batches, and the
    training digits framed the same way (``preprocess.frame``), so that nothing but the
    shape tells a non-digit from a digit. (None, None) without."""
    if not recipe.outliers:
        return None, None
    if not 0 < recipe.outliers <= 1:
        raise ValueError(f"outliers is a share of the batch, above 0 and at most 1, not {recipe.outliers}")
    from .outliers import non_digits
    from .preprocess import frame
    arrays = images[:, 0].numpy()
    pool = non_digits(recipe.outlier_pool, arrays, labels.numpy(), seed=recipe.seed)
    reframed = np.stack([frame(a) for a in arrays])
    return torch.from_numpy(pool).unsqueeze(1), torch.from_numpy(reframed).unsqueeze(1)


def _augment(x, recipe, generator):
    """The recipe's batch augmentation (none when ``augment`` is off)."""
    if not recipe.augment:
        return x
    x = random_affine(x, recipe.degrees, recipe.scale, recipe.translate, elastic=recipe.elastic,
                      generator=generator)
    return random_thickness(x, recipe.thickness, generator=generator)


def _outlier_batch(pool, n, recipe, generator):
    """``n`` non-digits from the pool, moved, bent and thickened like the digits they join."""
    picks = torch.randint(len(pool), (n,), generator=generator, device=pool.device)
    return _augment(pool[picks], recipe, generator)


def _moving_average(model, decay):
    """An exponential moving average of ``model``'s weights and batch-norm statistics
    (None when ``decay`` is 0)."""
    if not decay:
        return None
    if not 0 < decay < 1:
        raise ValueError(f"ema is a decay per step, above 0 and below 1, not {decay}")
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
    return AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)


def native_bf16() -> bool:
    """Whether this CPU computes in bfloat16 natively (elsewhere emulating it is slower than float32)."""
    probes = [getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")]
    return any(probe() for probe in probes if probe is not None)


def _mixed_precision(recipe, device) -> bool:
    """Whether to train in bfloat16 here: asked for, and native on this device."""
    if not recipe.bf16:
        return False
    return torch.cuda.is_bf16_supported() if device.type == "cuda" else native_bf16()


def _distillation_loss(logits, teachers, x, temperature, mixed):
    """KL divergence from the teachers' softened probabilities (averaged) to the student's,
    scaled by temperature squared so that its gradients keep their size whatever the temperature."""
    with torch.no_grad(), torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=mixed):
        target = torch.stack([F.softmax(t.logits(x).float() / temperature, 1) for t in teachers]).mean(0)
    return F.kl_div(F.log_softmax(logits / temperature, 1), target, reduction="batchmean") * temperature ** 2


def fit(model, train, test=None, recipe: Recipe = MLP_RECIPE, progress: bool = True,
        on_epoch=None, teacher=None) -> list[dict]:
    """Train ``model`` on ``train=(images, labels)``; returns one dict per epoch.

    With a ``teacher`` (a trained model, or a list of them), the loss also asks the model to
    match the teachers' softened probabilities (averaged) on the same augmented batch: knowledge
    distillation, ``recipe.distill`` setting the balance. Teachers are not changed.

    Training runs where ``model`` is (``model.to("cuda")`` first to train on a GPU): the data
    and the random generator move there too.

    Each history entry holds the epoch, mean loss, training accuracy (on the augmented
    batches), test accuracy (if ``test`` is given) and seconds spent training so far
    (evaluation excluded). ``on_epoch(entry)`` is called after each.
    """
    torch.manual_seed(recipe.seed)
    device = next(model.parameters()).device
    generator = torch.Generator(device).manual_seed(recipe.seed)
    images, labels = (t.to(device) for t in train)
    if recipe.channels_last:
        model = model.to(memory_format=torch.channels_last)
    steps_per_epoch = -(-len(images) // recipe.batch_size)
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.max_lr,
                                 weight_decay=recipe.weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=recipe.max_lr, epochs=recipe.epochs, steps_per_epoch=steps_per_epoch)
    average = _moving_average(model, recipe.ema)
    mixed = _mixed_precision(recipe, device)
    teachers = [] if teacher is None else list(teacher) if isinstance(teacher, (list, tuple)) else [teacher]
    if teachers and not 0 < recipe.distill <= 1:
        raise ValueError(f"distill is the weight of the teacher's targets, above 0 and at most 1, "
                         f"not {recipe.distill}")
    for t in teachers:
        t.eval().to(device)
        if recipe.channels_last:
            t.to(memory_format=torch.channels_last)
    pool, reframed = _outlier_pool(*(t.cpu() for t in train), recipe)   # built on the CPU, then moved
    if pool is not None:
        pool, reframed = pool.to(device), reframed.to(device)
    n_out = round(recipe.batch_size * recipe.outliers)
    history, train_seconds = [], 0.0
    bar = tqdm(total=recipe.epochs * steps_per_epoch, disable=not progress, unit="batch")
    for epoch in range(1, recipe.epochs + 1):
        model.train()
        start = time.perf_counter()
        total_loss = torch.zeros((), device=device)   # summed on the device: no wait per step
        correct = torch.zeros((), dtype=torch.long, device=device)
        for idx in _batches(len(images), recipe.batch_size, generator, shuffle=True):
            x, y = images[idx], labels[idx]
            if n_out:   # half the digits framed as inputs are, like every non-digit: no shortcut
                framed = torch.rand(len(idx), 1, 1, 1, generator=generator, device=device) < 0.5
                x = torch.where(framed, reframed[idx], x)
            x = _augment(x, recipe, generator)
            if recipe.flags and recipe.augment:   # after the rotation, which would flatten some into a 7's bar
                x = flag_ones(x, y, recipe.flags, generator)
            if n_out:
                x = torch.cat([x, _outlier_batch(pool, n_out, recipe, generator)])
            x = normalize(x)
            if recipe.channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=mixed):
                logits = model(x).float()
            loss = F.cross_entropy(logits[:len(y)], y, label_smoothing=recipe.label_smoothing)
            if teachers:
                loss = (1 - recipe.distill) * loss + recipe.distill * _distillation_loss(
                    logits[:len(y)], teachers, x[:len(y)], recipe.distill_temperature, mixed)
            if n_out:   # cross-entropy to a flat target: every digit equally (un)likely
                loss = loss - recipe.outlier_weight * F.log_softmax(logits[len(y):], 1).mean()
            logits = logits[:len(y)]
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            if average is not None:
                average.update_parameters(model)
            total_loss += loss.detach() * len(idx)
            correct += (logits.argmax(1) == y).sum()
            bar.update()
        total_loss, correct = total_loss.item(), correct.item()   # waits for the device to finish
        train_seconds += time.perf_counter() - start
        entry = {"epoch": epoch, "loss": total_loss / len(images),
                 "train_accuracy": correct / len(images), "seconds": train_seconds}
        if test is not None:   # of the weights fit will return
            entry["test_accuracy"] = evaluate(average.module if average else model, *test)["accuracy"]
        history.append(entry)
        bar.set_postfix({k: round(v, 4) for k, v in entry.items() if k != "epoch"})
        if on_epoch:
            on_epoch(entry)
    bar.close()
    for t in teachers if recipe.channels_last else ():
        t.to(memory_format=torch.contiguous_format)
    if average is not None:
        model.load_state_dict(average.module.state_dict())
    if recipe.channels_last:   # saved and exported in the ordinary layout
        model.to(memory_format=torch.contiguous_format)
    model.eval()
    return history
