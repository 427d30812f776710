"""PyTorch twin of lib/cmd/gpubench: the same networks, steps and JSON line, in eager mode.

    python3 torch_bench.py -net wrn-28-2 -batch 256 -steps 100 -warmup 10
    python3 torch_bench.py -task instance -net wrn-28-2 -batch 256

The networks mirror lib/nets exactly, parameter for parameter (the "params" field lets run.sh
check it): Conv-4 (3x3 conv with bias, BN, ReLU, ceil-mode 2x2 max-pool, four times, then a
linear layer) and WRN-D-K (pre-activation basic blocks, convolutions with a bias as
nets.Conv2D has, 1x1 shortcut convolutions where the width changes, BN eps 1e-3 as GoMLX's).
A step of -task classify: forward, cross-entropy against random labels, backward, SGD with
momentum 0.9 and weight decay 5e-4, on one fixed batch of random images kept on the GPU. A step
of -task instance is instance discrimination as lib/metric trains it with NCE (Wu et al. 2018):
the network's last linear layer maps to a 128-d embedding, L2-normalised; NCE with 4096
negatives drawn on the GPU per example from a 50,000x128 memory bank of unit rows, tau 0.07, Z
estimated on the first step; backward; the same SGD step; then, without gradient, the bank rows
of the batch become normalize(0.5 old + 0.5 v). cuDNN autotuning is on
(XLA autotunes its convolutions too) and TF32 is left at PyTorch's defaults (on for
convolutions); both are reported in backend_details.
"""

import argparse
import json
import re
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

NUM_CLASSES = 10
BANK_SIZE, EMBEDDING_DIM, NEGATIVES, TEMPERATURE, BANK_MOMENTUM = 50000, 128, 4096, 0.07, 0.5
LR, MOMENTUM, WEIGHT_DECAY = 0.01, 0.9, 5e-4
BN_EPS = 1e-3  # GoMLX fused batch norm's default (nets.BatchNorm: 1e-5, the same cost)


class Conv4(nn.Module):
    def __init__(self, channels=64, classes=NUM_CLASSES):
        super().__init__()
        layers, cin = [], 1
        for _ in range(4):
            layers += [
                nn.Conv2d(cin, channels, 3, padding=1),
                nn.BatchNorm2d(channels, eps=BN_EPS),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(2, ceil_mode=True),
            ]
            cin = channels
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(channels * 2 * 2, classes)  # 28 -> 14 -> 7 -> 4 -> 2

    def forward(self, x):
        # lib/nets flattens NHWC; the order does not change the cost.
        return self.fc(torch.flatten(self.features(x - 0.5), 1))


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin, eps=BN_EPS)
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1)
        self.bn2 = nn.BatchNorm2d(cout, eps=BN_EPS)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.shortcut = None
        if cin != cout or stride != 1:
            self.shortcut = nn.Conv2d(cin, cout, 1, stride=stride)

    def forward(self, x):
        act = F.relu(self.bn1(x))
        y = self.conv2(F.relu(self.bn2(self.conv1(act))))
        return y + (x if self.shortcut is None else self.shortcut(act))


class WRN(nn.Module):
    def __init__(self, depth=28, k=2, classes=NUM_CLASSES):
        super().__init__()
        assert (depth - 4) % 6 == 0 and depth >= 10, depth
        n = (depth - 4) // 6
        self.stem = nn.Conv2d(3, 16, 3, padding=1)
        blocks, cin = [], 16
        for g, width in enumerate([16 * k, 32 * k, 64 * k]):
            for b in range(n):
                blocks.append(Block(cin, width, 2 if g > 0 and b == 0 else 1))
                cin = width
        self.blocks = nn.Sequential(*blocks)
        self.bn = nn.BatchNorm2d(cin, eps=BN_EPS)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.blocks(self.stem(x - 0.5))
        return self.fc(F.relu(self.bn(x)).mean(dim=(2, 3)))


def build(net, outputs):
    if net == "conv-4":
        return Conv4(classes=outputs), (1, 28, 28)
    m = re.fullmatch(r"wrn-(\d+)-(\d+)", net)
    if not m:
        sys.exit(f"torch_bench: -net {net!r}: want conv-4 or wrn-D-K")
    return WRN(int(m.group(1)), int(m.group(2)), classes=outputs), (3, 32, 32)


def nce_step(model, images, dev):
    """Returns the loss (with the embedding) and the bank update of an instance-discrimination
    step: the formulas of lib/metric/loss.go (NCELoss, UpdateBank) and of its Z estimate."""
    batch = images.shape[0]
    g = torch.Generator(device=dev).manual_seed(1)
    bank = F.normalize(torch.randn(BANK_SIZE, EMBEDDING_DIM, device=dev, generator=g), dim=1)
    idx = torch.randperm(BANK_SIZE, device=dev, generator=g)[:batch]
    # Z stays on the GPU: torch.where instead of lemniscate's Python test, which syncs each step.
    z = torch.zeros((), device=dev)
    noise = NEGATIVES / BANK_SIZE

    def loss_fn():
        v = F.normalize(model(images), dim=1)  # [B, D]
        neg = torch.randint(0, BANK_SIZE, (batch, NEGATIVES), device=dev)
        s_pos = (v * bank[idx]).sum(-1)  # [B]
        s_neg = torch.bmm(bank[neg], v.unsqueeze(2)).squeeze(2)  # [B, m]
        e_neg = torch.exp(s_neg / TEMPERATURE)
        z.copy_(torch.where(z > 0, z, e_neg.detach().mean() * BANK_SIZE))
        p_pos = torch.exp(s_pos / TEMPERATURE) / z
        p_neg = e_neg / z
        l_pos = torch.log(p_pos / (p_pos + noise))
        l_neg = -torch.log1p(p_neg / noise)
        loss = -(l_pos + l_neg.sum(-1)).mean()
        return loss, v

    def update_bank(v):
        with torch.no_grad():
            fresh = F.normalize(BANK_MOMENTUM * bank[idx] + (1 - BANK_MOMENTUM) * v.detach(), dim=1)
            bank.index_copy_(0, idx, fresh)

    return loss_fn, update_bank


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-task", default="classify", choices=["classify", "instance"])
    p.add_argument("-net", default="wrn-28-2")
    p.add_argument("-batch", type=int, default=256)
    p.add_argument("-steps", type=int, default=50)
    p.add_argument("-warmup", type=int, default=5)
    a = p.parse_args()

    torch.backends.cudnn.benchmark = True
    dev = torch.device("cuda")
    torch.manual_seed(1)
    instance = a.task == "instance"
    model, (c, h, w) = build(a.net, EMBEDDING_DIM if instance else NUM_CLASSES)
    model = model.to(dev).train()
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)
    images = torch.rand(a.batch, c, h, w, device=dev)
    labels = torch.randint(0, NUM_CLASSES, (a.batch,), device=dev)
    if instance:
        loss_fn, update_bank = nce_step(model, images, dev)

    def step():
        opt.zero_grad(set_to_none=True)
        if instance:
            loss, v = loss_fn()
        else:
            loss = F.cross_entropy(model(images), labels)
        loss.backward()
        opt.step()
        if instance:
            update_bank(v)
        return loss

    start = time.perf_counter()
    loss_first = step().item()
    for _ in range(a.warmup - 1):
        step()
    torch.cuda.synchronize()
    warmup_s = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(a.steps):
        loss = step()
    loss_last = loss.item()  # waits for the last step
    torch.cuda.synchronize()
    seconds = time.perf_counter() - start

    extra = {"bank": [BANK_SIZE, EMBEDDING_DIM], "negatives": NEGATIVES, "temperature": TEMPERATURE} if instance else {}
    print(json.dumps({
        "task": a.task,
        "net": a.net,
        "batch": a.batch,
        "images_per_s": a.steps * a.batch / seconds,
        "backend": "pytorch-eager",
        "device": torch.cuda.get_device_name(0),
        "steps": a.steps,
        "seconds": seconds,
        "warmup": a.warmup,
        "warmup_seconds": warmup_s,
        "conv": "cudnn",
        "params": sum(p.numel() for p in model.parameters()),
        "image": [h, w, c],
        "loss_first": loss_first,
        "loss_last": loss_last,
        "backend_details": (
            f"torch {torch.__version__}, CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}, "
            f"cudnn.benchmark=True, cudnn.allow_tf32={torch.backends.cudnn.allow_tf32}, "
            f"matmul.allow_tf32={torch.backends.cuda.matmul.allow_tf32}, NCHW"
        ),
        **extra,
    }), flush=True)


if __name__ == "__main__":
    main()
