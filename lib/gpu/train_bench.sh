#!/usr/bin/env bash
# CPU training throughput of each backbone: GoMLX's pure-Go backend (gpubench) beside PyTorch
# eager on the CPU (torch_bench.py -device cpu), one net after the other in the same run, so both
# see the same machine. `make bench-train` builds gpubench without cgo and runs this:
#
#   OUT=build/bench-train GPUBENCH=build/bench-train/gpubench lib/gpu/train_bench.sh
#
# A step is a forward pass, cross-entropy over 10 classes against random labels, the backward
# pass and SGD with momentum 0.9 and weight decay 5e-4, on one fixed batch of random images.
# Every net runs on 32×32×3 (CIFAR-sized) images, Conv-4 included (its few-shot 84×84 would make
# it the slowest net here, and the comparison is between frameworks, not nets); ResNets have the
# CIFAR stem. Per net and framework: one warm-up step (for GoMLX it includes compiling the
# graph), then as many timed steps as fit in TRAIN_BENCH_SECONDS by the mean step time, at least
# one. The pure-Go backend runs as mt and the notebooks run it, with parallel op execution and no
# cap on its goroutines (pipeline.DefaultCPUBackend, go:parallelism=-1; TRAIN_BENCH_GOMLX_BACKEND):
# the capped default deadlocked WRN-28-2 on 2 CPUs, and one op at a time (go:ops_sequential)
# leaves a core idle during the single-threaded element-wise ops (Conv-4 58 against 76 img/s,
# WRN-28-2 4.0 against 5.6, on 2 CPUs).
#
# Before the nets, both frameworks time one float32 matrix product per size in TRAIN_BENCH_GEMM
# (gpubench/torch_bench.py -task gemm). It bounds what GoMLX's backend can reach: a step needs
# at least (the matrix-product FLOPs of its graph, which gpubench counts) / (the backend's best
# matrix-product rate) seconds, even if every other op took no time. The table shows that
# ceiling beside PyTorch's measured rate, and PyTorch's own count of a forward pass's FLOPs
# (3× it is the usual estimate of a training step) as an independent check of gpubench's count.
#
# Settings (environment): TRAIN_BENCH_GEMM (2048x2048x2048 65536x576x64: a square product and
# Conv-4's second convolution as a patch matrix at batch 64), TRAIN_BENCH_NETS (conv-4 wrn-28-2 wrn-28-10 resnet-18 resnet-50),
# TRAIN_BENCH_BATCH (64), TRAIN_BENCH_SECONDS (20), TRAIN_BENCH_GOMLX_BACKEND
# (go:parallelism=-1), TRAIN_BENCH_TIMEOUT (seconds a single run may take, warm-up included;
# 900), PYTHON (/usr/bin/python3, Debian's python3-torch); TRAIN_BENCH_TABULATE=1 measures
# nothing and writes the tables again from the last run under $OUT.
# Results under $OUT: gomlx.jsonl and torch.jsonl (gpubench's JSON lines), run.env (the run's
# settings, commit, date and load), table.md (printed too).
set -u -o pipefail
cd "$(dirname "$0")/../.." || exit 1
OUT=${OUT:-build/bench-train}
PY=${PYTHON:-/usr/bin/python3}
GPUBENCH=${GPUBENCH:-build/bench-train/gpubench}
NETS=${TRAIN_BENCH_NETS:-conv-4 wrn-28-2 wrn-28-10 resnet-18 resnet-50}
BATCH=${TRAIN_BENCH_BATCH:-64}
BUDGET=${TRAIN_BENCH_SECONDS:-20}
GOMLX_BACKEND_CPU=${TRAIN_BENCH_GOMLX_BACKEND:-go:parallelism=-1}
RUN_TIMEOUT=${TRAIN_BENCH_TIMEOUT:-900}
GEMMS=${TRAIN_BENCH_GEMM:-2048x2048x2048 65536x576x64}
IMAGE=32x32x3

log() { echo "[$(date +%T)] $*" >&2; }
[ -x "$GPUBENCH" ] || { log "$GPUBENCH missing: CGO_ENABLED=0 go build -o $GPUBENCH ./lib/cmd/gpubench"; exit 1; }
"$PY" -c 'import torch' 2>/dev/null || { log "$PY cannot import torch: sudo apt-get install python3-torch"; exit 1; }
mkdir -p "$OUT"
if [ "${TRAIN_BENCH_TABULATE:-0}" = 1 ]; then
  # Only the tables, again, from the results and the run.env of the last run under $OUT.
  [ -f "$OUT/run.env" ] || { log "$OUT/run.env missing: run the benchmark first"; exit 1; }
  # shellcheck disable=SC1091
  . "$OUT/run.env"
  failed=0
  TABULATED="$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
else
  : >"$OUT/gomlx.jsonl"
  : >"$OUT/torch.jsonl"
  LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
  START_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
  log "start: $(nproc) CPUs, load $LOAD_START; batch $BATCH, ${BUDGET}s per net and framework, GOMLX_BACKEND=$GOMLX_BACKEND_CPU"

  failed=0
  for gemm in $GEMMS; do
    log "matrix product $gemm: PyTorch, GoMLX"
    PYTHONUNBUFFERED=1 timeout "$RUN_TIMEOUT" "$PY" lib/gpu/torch_bench.py -device cpu -task gemm -gemm "$gemm" \
      -seconds "$BUDGET" >>"$OUT/torch.jsonl" || { log "PyTorch gemm $gemm failed: rc=$?"; failed=1; }
    timeout "$RUN_TIMEOUT" env GOMLX_NO_AUTO_INSTALL=1 GOMLX_BACKEND="$GOMLX_BACKEND_CPU" "$GPUBENCH" -task gemm -gemm "$gemm" \
      -seconds "$BUDGET" >>"$OUT/gomlx.jsonl" || { log "GoMLX gemm $gemm failed: rc=$?"; failed=1; }
  done
  for net in $NETS; do
    log "PyTorch $net"
    PYTHONUNBUFFERED=1 timeout "$RUN_TIMEOUT" "$PY" lib/gpu/torch_bench.py -device cpu -net "$net" -batch "$BATCH" \
      -image "$IMAGE" -warmup 1 -seconds "$BUDGET" >>"$OUT/torch.jsonl" || { log "PyTorch $net failed: rc=$?"; failed=1; }
    log "GoMLX $net"
    timeout "$RUN_TIMEOUT" env GOMLX_NO_AUTO_INSTALL=1 GOMLX_BACKEND="$GOMLX_BACKEND_CPU" "$GPUBENCH" -net "$net" \
      -batch "$BATCH" -image "$IMAGE" -warmup 1 -seconds "$BUDGET" >>"$OUT/gomlx.jsonl" || { log "GoMLX $net failed: rc=$?"; failed=1; }
  done

  COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
  [ -z "$(git status --porcelain 2>/dev/null)" ] || COMMIT="$COMMIT (with uncommitted changes)"
  RUN="started $START_DATE, commit $COMMIT, TRAIN_BENCH_SECONDS=$BUDGET TRAIN_BENCH_NETS=\"$NETS\" TRAIN_BENCH_GEMM=\"$GEMMS\" lib/gpu/train_bench.sh (make bench-train)"
  LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
  for v in RUN NETS LOAD_START LOAD_END GOMLX_BACKEND_CPU; do printf '%s=%q\n' "$v" "${!v}"; done >"$OUT/run.env"
fi

TABULATED=${TABULATED:-} RUN=$RUN OUTDIR=$OUT NETS=$NETS LOAD_START=$LOAD_START LOAD_END=$LOAD_END GOMLX_BACKEND_CPU=$GOMLX_BACKEND_CPU \
  "$PY" - <<'EOF'
import json, os
out = os.environ["OUTDIR"]
def load(name):
    with open(os.path.join(out, name)) as f:
        rows = [json.loads(l) for l in f if l.startswith("{")]
    nets = {r["net"]: r for r in rows if r.get("task") != "gemm"}
    gemms = {"x".join(map(str, r["gemm"])): r for r in rows if r.get("task") == "gemm"}
    return nets, gemms
(gomlx, gomlx_gemm), (torch, torch_gemm) = load("gomlx.jsonl"), load("torch.jsonl")
any_run = next(iter(list(torch.values()) + list(gomlx.values())), {})
def cell(r, k, fmt):
    return "failed" if r.get(k) is None else format(r[k], fmt)
def ratio(a, b):
    return format(a / b, ".3f") if a and b else "—"
lines = [
    f"Run: {os.environ['RUN']}.",
    *([f"Tables written again from that run's results: {os.environ['TABULATED']} (TRAIN_BENCH_TABULATE=1)."]
      if os.environ.get("TABULATED") else []),
    f"Training step (forward, cross-entropy, backward, SGD momentum 0.9), float32, batch {any_run.get('batch', '?')}, "
    f"{'×'.join(map(str, any_run.get('image', [])))} images, on {any_run.get('device', '?')}.",
    f"GoMLX: pure-Go backend, GOMLX_BACKEND={os.environ['GOMLX_BACKEND_CPU']}. "
    f"PyTorch: {torch[next(iter(torch))]['backend_details'] if torch else '?'}.",
    f"Load average (1, 5, 15 min) at start {os.environ['LOAD_START']}, at end {os.environ['LOAD_END']}. "
    "Steps: timed steps after one warm-up step; warm-up s: that step (GoMLX's includes compiling).", "",
    "| net | params (GoMLX / PyTorch) | GoMLX img/s | steps | warm-up s | PyTorch img/s | steps | warm-up s | GoMLX/PyTorch |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|",
]
for net in os.environ["NETS"].split():
    g, t = gomlx.get(net, {}), torch.get(net, {})
    lines.append(f"| {net} | {g.get('params', '?')} / {t.get('params', '?')} | {cell(g, 'images_per_s', '.1f')} | "
                 f"{cell(g, 'steps', 'd')} | {cell(g, 'warmup_seconds', '.1f')} | {cell(t, 'images_per_s', '.1f')} | "
                 f"{cell(t, 'steps', 'd')} | {cell(t, 'warmup_seconds', '.1f')} | {ratio(g.get('images_per_s'), t.get('images_per_s'))} |")

# The ceiling that GoMLX's own matrix product sets, whatever the other ops cost.
best = max((r["gflop_per_s"] for r in gomlx_gemm.values() if r.get("gflop_per_s")), default=None)
lines += ["", "Float32 matrix product (M×K by K×N), GFLOP/s counting 2·M·K·N a product:", "",
          "| M×K×N | GoMLX GFLOP/s | PyTorch GFLOP/s | GoMLX/PyTorch |", "|---|---:|---:|---:|"]
for size in dict.fromkeys(list(gomlx_gemm) + list(torch_gemm)):
    g, t = gomlx_gemm.get(size, {}), torch_gemm.get(size, {})
    lines.append(f"| {size} | {cell(g, 'gflop_per_s', '.1f')} | {cell(t, 'gflop_per_s', '.1f')} | "
                 f"{ratio(g.get('gflop_per_s'), t.get('gflop_per_s'))} |")
lines += ["",
          "Ceiling: a GoMLX step cannot take less than its matrix products' FLOPs (counted in its graph) at GoMLX's best "
          f"matrix-product rate above ({'—' if best is None else format(best, '.1f')} GFLOP/s), even if every other op took no time. "
          "GoMLX's graph counts what its step computes (strided convolutions as patch matrices compute every pixel); PyTorch's count "
          "is 3 × its profiler's FLOPs of a forward pass, the usual estimate of a training step. The ceiling takes the smaller "
          "count, so it holds for any expression of the convolutions as matrix products.", "",
          "| net | GFLOP/img, GoMLX step graph | GFLOP/img, 3 × PyTorch forward | GoMLX ceiling img/s | PyTorch img/s | ceiling/PyTorch |",
          "|---|---:|---:|---:|---:|---:|"]
for net in os.environ["NETS"].split():
    g, t = gomlx.get(net, {}), torch.get(net, {})
    flops, fwd = g.get("matmul_gflop_per_image"), t.get("forward_gflop_per_image")
    # The smaller count: the bound must hold however the convolutions are expressed.
    least = min(v for v in (flops, 3 * fwd if fwd else None) if v) if (flops or fwd) else None
    ceiling = best / least if best and least and not g.get("native_convs") else None
    lines.append(f"| {net} | {cell(g, 'matmul_gflop_per_image', '.4f')} | {'—' if not fwd else format(3 * fwd, '.4f')} | "
                 f"{'—' if ceiling is None else format(ceiling, '.1f')} | {cell(t, 'images_per_s', '.1f')} | "
                 f"{ratio(ceiling, t.get('images_per_s'))} |")
with open(os.path.join(out, "table.md"), "w") as f:
    f.write("\n".join(lines) + "\n")
print("\n".join(lines))
EOF
exit $failed
