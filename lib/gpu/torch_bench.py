"""PyTorch twin of lib/cmd/gpubench: the same networks, steps and JSON line, in eager mode.

    python3 torch_bench.py -net wrn-28-2 -batch 256 -steps 100 -warmup 10
    python3 torch_bench.py -task instance -net wrn-28-2 -batch 256
    python3 torch_bench.py -task instance -net wrn-28-2 -batch 128 -precision bfloat16 -channels-last
    /usr/bin/python3 torch_bench.py -device cpu -net resnet-50 -batch 64 -image 32x32x3 -warmup 1 -seconds 20

The networks mirror lib/nets exactly, parameter for parameter (the "params" field lets run.sh
check it): Conv-4 (3x3 conv with bias, BN, ReLU, ceil-mode 2x2 max-pool, four times, then a
linear layer) and WRN-D-K (pre-activation basic blocks, convolutions with a bias as
nets.Conv2D has, 1x1 shortcut convolutions where the width changes, BN eps 1e-3 as GoMLX's) and
ResNet-D (torchvision's layout, written out since torchvision may be missing: post-activation
basic or bottleneck blocks, stride on the 3x3, bias-free convolutions, 1x1 conv + BN shortcuts,
with the CIFAR stem of nets.ResNetStemCIFAR: 3x3 conv to 64 channels, BN, ReLU, no pooling).
Images are 28x28x1 for Conv-4 and 32x32x3 otherwise unless -image says.
A step of -task classify: forward, cross-entropy against random labels, backward, SGD with
momentum 0.9 and weight decay 5e-4, on one fixed batch of random images kept on the GPU. A step
of -task instance is instance discrimination as lib/metric trains it with NCE (Wu et al. 2018):
the network's last linear layer maps to a 128-d embedding, L2-normalised; NCE with 4096
negatives drawn on the GPU per example from a 50,000x128 memory bank of unit rows, tau 0.07, Z
estimated on the first step; backward; the same SGD step; then, without gradient, the bank rows
of the batch become normalize(0.5 old + 0.5 v). cuDNN autotuning is on
(XLA autotunes its convolutions too) and TF32 is left at PyTorch's defaults (on for
convolutions); both are reported in backend_details. -device cpu runs on every CPU core
(torch.set_num_threads(os.cpu_count()); some builds default to one thread). -seconds time-boxes
the timed steps as gpubench does: as many as fit by the mean step time so far, at least one, each
waited for.
"""

import argparse
import json
import os
import platform
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
    def __init__(self, channels=64, classes=NUM_CLASSES, image=(28, 28, 1)):
        super().__init__()
        (h, w, cin), layers = image, []
        for _ in range(4):
            h, w = -(-h // 2), -(-w // 2)
            layers += [
                nn.Conv2d(cin, channels, 3, padding=1),
                nn.BatchNorm2d(channels, eps=BN_EPS),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(2, ceil_mode=True),
            ]
            cin = channels
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(channels * h * w, classes)  # 28 -> 14 -> 7 -> 4 -> 2, 32 -> 16 -> 8 -> 4 -> 2

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


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin, width, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, width, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width, eps=BN_EPS)
        self.conv2 = nn.Conv2d(width, width, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width, eps=BN_EPS)
        self.shortcut = resnet_shortcut(cin, width, stride)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (x if self.shortcut is None else self.shortcut(x)))


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, width, stride):
        super().__init__()
        out = width * self.expansion
        self.conv1 = nn.Conv2d(cin, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width, eps=BN_EPS)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width, eps=BN_EPS)
        self.conv3 = nn.Conv2d(width, out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out, eps=BN_EPS)
        self.shortcut = resnet_shortcut(cin, out, stride)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return F.relu(y + (x if self.shortcut is None else self.shortcut(x)))


def resnet_shortcut(cin, out, stride):
    if cin == out and stride == 1:
        return None
    return nn.Sequential(nn.Conv2d(cin, out, 1, stride=stride, bias=False), nn.BatchNorm2d(out, eps=BN_EPS))


# He et al. (2016), Table 1: blocks per stage and block type, by depth (nets.resnetArchs).
RESNET_ARCHS = {
    18: ([2, 2, 2, 2], BasicBlock),
    34: ([3, 4, 6, 3], BasicBlock),
    50: ([3, 4, 6, 3], Bottleneck),
    101: ([3, 4, 23, 3], Bottleneck),
    152: ([3, 8, 36, 3], Bottleneck),
}


class ResNet(nn.Module):
    def __init__(self, depth=18, classes=NUM_CLASSES, cin=3):
        super().__init__()
        blocks_per_stage, block = RESNET_ARCHS[depth]
        self.stem = nn.Sequential(
            nn.Conv2d(cin, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64, eps=BN_EPS), nn.ReLU(inplace=True))
        blocks, c = [], 64
        for s, (n, width) in enumerate(zip(blocks_per_stage, [64, 128, 256, 512])):
            for b in range(n):
                blocks.append(block(c, width, 2 if s > 0 and b == 0 else 1))
                c = width * block.expansion
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(c, classes)

    def forward(self, x):
        return self.fc(self.blocks(self.stem(x - 0.5)).mean(dim=(2, 3)))


def build(net, outputs, image):
    """Returns the model and its image size (H, W, C): -image, or the net's default."""
    if net == "conv-4":
        image = image or (28, 28, 1)
        return Conv4(classes=outputs, image=image), image
    image = image or (32, 32, 3)
    if m := re.fullmatch(r"wrn-(\d+)-(\d+)", net):
        if image[2] != 3:
            sys.exit(f"torch_bench: -net {net}: the WRN's stem takes 3 channels, -image has {image[2]}")
        return WRN(int(m.group(1)), int(m.group(2)), classes=outputs), image
    if (m := re.fullmatch(r"resnet-(\d+)", net)) and int(m.group(1)) in RESNET_ARCHS:
        return ResNet(int(m.group(1)), classes=outputs, cin=image[2]), image
    sys.exit(f"torch_bench: -net {net!r}: want conv-4, wrn-D-K or resnet-D (D = {', '.join(map(str, RESNET_ARCHS))})")


def parse_image(s):
    if not s:
        return None
    m = re.fullmatch(r"(\d+)x(\d+)x(\d+)", s)
    if not m or min(map(int, m.groups())) < 1:
        sys.exit(f"torch_bench: -image {s!r}: want HxWxC with positive sizes, e.g. 32x32x3")
    return tuple(map(int, m.groups()))


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return f"{line.split(':', 1)[1].strip()} ({os.cpu_count()} CPUs)"
    except OSError:
        pass
    return f"{platform.processor() or platform.machine()} ({os.cpu_count()} CPUs)"


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


def time_boxed(budget, call):
    """Calls call until the next call would overrun budget seconds at the mean time of the calls
    so far (at least one call), as gpubench's timeBoxed; returns the calls made."""
    start, calls = time.perf_counter(), 0
    while True:
        call()
        calls += 1
        if (time.perf_counter() - start) * (calls + 1) / calls > budget:
            return calls


def time_gemm(spec, dev, sync, steps, budget):
    """Times the float32 product of a random MxK by a random KxN matrix as gpubench -task gemm
    does: one untimed product, then products for budget seconds (at least one, each waited for)
    or steps products when budget is 0. Returns (GFLOP/s counting 2*M*K*N a product, products
    timed, seconds)."""
    try:
        m, k, n = (int(v) for v in spec.split("x"))
        assert min(m, k, n) >= 1
    except (ValueError, AssertionError):
        sys.exit(f"torch_bench: -gemm {spec!r}: want MxKxN, e.g. 2048x2048x2048")
    g = torch.Generator(device=dev).manual_seed(3)
    a = torch.rand(m, k, device=dev, generator=g)
    b = torch.rand(k, n, device=dev, generator=g)
    def product():
        (a @ b)[0, 0].item()  # reading one value back waits for the product

    product()
    start = time.perf_counter()
    if budget > 0:
        timed = time_boxed(budget, product)
    else:
        for _ in range(steps):
            product()
        timed = steps
    sync()
    seconds = time.perf_counter() - start
    return 2 * m * k * n * timed / seconds / 1e9, timed, seconds


def forward_gflop_per_image(model, images):
    """GFLOP per image of one forward pass (convolutions and linear layers), as PyTorch's
    profiler counts them: an independent count of the work gpubench reads from its graph."""
    sample = images[: min(8, images.shape[0])]
    with torch.no_grad(), torch.profiler.profile(with_flops=True) as prof:
        model(sample)
    return sum(e.flops or 0 for e in prof.key_averages()) / sample.shape[0] / 1e9


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-task", default="classify", choices=["classify", "instance", "gemm"],
                   help="gemm: time one float32 matrix product (-gemm) instead of a training step")
    p.add_argument("-gemm", default="2048x2048x2048", help="-task gemm: the sizes MxKxN")
    p.add_argument("-net", default="wrn-28-2")
    p.add_argument("-batch", type=int, default=256)
    p.add_argument("-steps", type=int, default=50, help="timed steps (ignored when -seconds > 0)")
    p.add_argument("-seconds", type=float, default=0,
                   help="if > 0, time as many steps as fit in this many seconds (at least one) instead of -steps")
    p.add_argument("-warmup", type=int, default=5)
    p.add_argument("-image", default="", help="HxWxC; default 28x28x1 for conv-4, 32x32x3 otherwise")
    p.add_argument("-device", default="cuda", choices=["cuda", "cpu"])
    p.add_argument("-precision", default="float32", choices=["float32", "bfloat16"],
                   help="bfloat16: autocast mixed precision (bfloat16 convolutions and matmuls, float32 weights and loss), as gpubench -precision")
    p.add_argument("-channels-last", action="store_true", help="NHWC memory layout for the model and the images")
    p.add_argument("-compile", action="store_true", help="torch.compile the model")
    a = p.parse_args()
    if a.batch < 1 or a.steps < 1 or a.warmup < 1 or a.seconds < 0:
        sys.exit("torch_bench: -batch, -steps and -warmup must be >= 1 and -seconds >= 0")

    cuda = a.device == "cuda"
    if cuda:
        torch.backends.cudnn.benchmark = True
    else:
        torch.set_num_threads(os.cpu_count())
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    dev = torch.device(a.device)
    if a.task == "gemm":
        gflops, steps, seconds = time_gemm(a.gemm, dev, sync, a.steps, a.seconds)
        device = torch.cuda.get_device_name(0) if cuda else cpu_name()
        details = (f"torch {torch.__version__}, CUDA {torch.version.cuda}" if cuda
                   else f"torch {torch.__version__}, CPU, {torch.get_num_threads()} threads")
        print(json.dumps({
            "task": "gemm", "net": "gemm", "backend": "pytorch-eager", "device": device, "steps": steps,
            "seconds": seconds, "warmup": 1, "gemm": [int(v) for v in a.gemm.split("x")], "gflop_per_s": gflops,
            "backend_details": details, **({"budget_seconds": a.seconds} if a.seconds > 0 else {}),
        }), flush=True)
        return
    torch.manual_seed(1)
    instance = a.task == "instance"
    model, (h, w, c) = build(a.net, EMBEDDING_DIM if instance else NUM_CLASSES, parse_image(a.image))
    model = model.to(dev).train()
    images = torch.rand(a.batch, c, h, w, device=dev)
    if a.channels_last:
        model = model.to(memory_format=torch.channels_last)
        images = images.contiguous(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)
    params = sum(p.numel() for p in model.parameters())
    if a.compile:
        model = torch.compile(model)
    autocast = torch.autocast(a.device, dtype=torch.bfloat16, enabled=a.precision == "bfloat16")
    labels = torch.randint(0, NUM_CLASSES, (a.batch,), device=dev)
    if instance:
        loss_fn, update_bank = nce_step(model, images, dev)

    def step():
        opt.zero_grad(set_to_none=True)
        with autocast:
            if instance:
                loss, v = loss_fn()
            else:
                loss = F.cross_entropy(model(images), labels)
        loss.float().backward()
        opt.step()
        if instance:
            update_bank(v)
        return loss

    start = time.perf_counter()
    loss_first = step().item()
    for _ in range(a.warmup - 1):
        step()
    sync()
    warmup_s = time.perf_counter() - start
    start = time.perf_counter()
    if a.seconds > 0:
        losses = []
        steps = time_boxed(a.seconds, lambda: losses.append(step().item()))
        loss_last = losses[-1]
    else:
        steps = a.steps
        for _ in range(steps):
            loss = step()
        loss_last = loss.item()  # waits for the last step
    sync()
    seconds = time.perf_counter() - start

    extra = {"bank": [BANK_SIZE, EMBEDDING_DIM], "negatives": NEGATIVES, "temperature": TEMPERATURE} if instance else {}
    if a.seconds > 0:
        extra["budget_seconds"] = a.seconds
    extra["forward_gflop_per_image"] = forward_gflop_per_image(model, images)
    if cuda:
        device, conv = torch.cuda.get_device_name(0), "cudnn"
        details = (
            f"torch {torch.__version__}, CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}, "
            f"cudnn.benchmark=True, cudnn.allow_tf32={torch.backends.cudnn.allow_tf32}, "
            f"matmul.allow_tf32={torch.backends.cuda.matmul.allow_tf32}, {'NHWC' if a.channels_last else 'NCHW'}"
        )
    else:
        mkldnn = torch.backends.mkldnn.is_available()
        device, conv = cpu_name(), "mkldnn" if mkldnn else "native"
        details = f"torch {torch.__version__}, CPU, {torch.get_num_threads()} threads, mkldnn={mkldnn}, {'NHWC' if a.channels_last else 'NCHW'}"
    if a.compile:
        details += ", torch.compile"
    print(json.dumps({
        "task": a.task,
        "net": a.net,
        "batch": a.batch,
        "images_per_s": steps * a.batch / seconds,
        "backend": "pytorch-compile" if a.compile else "pytorch-eager",
        "device": device,
        "precision": a.precision,
        "steps": steps,
        "seconds": seconds,
        "warmup": a.warmup,
        "warmup_seconds": warmup_s,
        "conv": conv,
        "params": params,
        "image": [h, w, c],
        "loss_first": loss_first,
        "loss_last": loss_last,
        "backend_details": details,
        **extra,
    }), flush=True)


if __name__ == "__main__":
    main()
