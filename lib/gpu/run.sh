#!/usr/bin/env bash
# GPU throughput of the project's training step: GoMLX through XLA/PJRT on CUDA beside PyTorch
# (eager) on the same card. Run from anywhere, on a machine with an NVIDIA GPU and its driver:
#
#   OUT=build/gpu lib/gpu/run.sh
#
# It needs bin/gpubench (built elsewhere if this machine has no Go: `make gpu-bench-pack` leaves
# an xz-compressed cgo build in build/gpu-run, which this script unpacks; cgo needs only a C
# compiler and libdl, since the PJRT plugin is opened with dlopen at run time) and a python3 with torch for the PyTorch side.
#
# Pointing GoMLX at a PJRT CUDA plugin, on any CUDA machine:
#   1. Get a plugin: JAX's `pip install jax-cuda13-pjrt jax-cuda13-plugin` (CUDA 13) or
#      jax-cuda12-pjrt (CUDA 12) installs site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so
#      and, as dependencies, NVIDIA's libraries under site-packages/nvidia/. Any other
#      pjrt_c_api_cuda_plugin.so works too (GoMLX's own installer puts one in
#      ~/.local/lib/go-xla/nvidia/ when auto-install is allowed).
#   2. GOMLX_BACKEND=xla:/absolute/path/to/xla_cuda_plugin.so — an absolute path is loaded as
#      is (a bare name such as "cuda" is searched in PJRT_PLUGIN_LIBRARY_PATH, ~/.local/lib/go-xla
#      and /usr/local/lib/go-xla). Options follow commas: "xla:/path.so,tf32" makes float32 matrix
#      products use TF32.
#   3. GOMLX_NO_AUTO_INSTALL=1, so GoMLX never tries to download plugins, and GOPJRT_CUDA_CHECKS=0:
#      go-xla v0.1.4's check otherwise warns for any plugin outside its own layout, and inside
#      it sets --xla_gpu_cuda_data_dir to its author's home directory.
#   4. If XLA cannot find ptxas or libdevice, XLA_FLAGS=--xla_gpu_cuda_data_dir=DIR, DIR holding
#      bin/ptxas and nvvm/libdevice/libdevice.10.bc (site-packages/nvidia/cu13 for the pip
#      wheels, or /usr/local/cuda); if it cannot open a CUDA library (libcublas, libcudnn…), put
#      site-packages/nvidia/*/lib on LD_LIBRARY_PATH. This script does both, and logs what it found.
#
# Results under $OUT: run.log (everything, with each run's stderr), results.json (every JSON
# line, the GPU from nvidia-smi, the date, the settings, $MT_COMMIT: what is published as
# figures/gpu-throughput.json, without the machine's folders) and table.md (images/s and the
# GoMLX/PyTorch ratio per task, net and batch). GPU_BENCH_DEADLINE (seconds, default 380) bounds the whole script:
# each run gets a timeout from what is left, so a slow compile cannot lose the other results.
set -u -o pipefail
cd "$(dirname "$0")/../.." || exit 1
OUT=${OUT:-build/gpu}
mkdir -p "$OUT"
exec > >(tee -a "$OUT/run.log") 2>&1
PY=${PYTHON:-python3}
GPUBENCH=${GPUBENCH:-bin/gpubench}
DEADLINE=${GPU_BENCH_DEADLINE:-380}
log() { echo "[$(date +%T) +${SECONDS}s] $*"; }

log "start: $(uname -srm); $(nproc) CPUs; repo $(pwd)"
nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv || log "nvidia-smi failed"
log "python: $(command -v "$PY") $("$PY" --version 2>&1)"
# A machine without Go gets gpubench xz-compressed from `make gpu-bench-pack`.
if [ ! -x "$GPUBENCH" ] && [ -f build/gpu-run/gpubench.xz ]; then
  GPUBENCH=build/gpu-run/gpubench
  "$PY" -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$GPUBENCH.xz" "$GPUBENCH" &&
    chmod +x "$GPUBENCH" && log "unpacked $GPUBENCH"
fi
[ -x "$GPUBENCH" ] || { log "FATAL: $GPUBENCH missing or not executable"; exit 1; }

. lib/gpu/xla_env.sh

: >"$OUT/gomlx.jsonl"
: >"$OUT/torch.jsonl"
# budget CAP: seconds a run may take, never past the deadline (10 s kept for the summary).
budget() { local left=$((DEADLINE - SECONDS - 10)); echo $((left < $1 ? left : $1)); }

# bench SIDE CAP TASK NET BATCH STEPS [more gpubench flags]
bench() {
  local side=$1 cap=$2 task=$3 net=$4 batch=$5 steps=$6 t rc
  shift 6
  t=$(budget "$cap")
  if [ "$t" -lt 15 ]; then log "SKIP $side $task $net batch $batch $*: ${t}s left"; return 1; fi
  log "RUN $side $task $net batch $batch steps $steps $* (timeout ${t}s)"
  if [ "$side" = gomlx ]; then
    timeout "$t" env "${XLA_ENV[@]}" "$GPUBENCH" -task "$task" -net "$net" -batch "$batch" -steps "$steps" -warmup 10 "$@" \
      | tee -a "$OUT/gomlx.jsonl"
  else
    PYTHONUNBUFFERED=1 timeout "$t" "$PY" lib/gpu/torch_bench.py -task "$task" -net "$net" -batch "$batch" -steps "$steps" -warmup 10 "$@" \
      | tee -a "$OUT/torch.jsonl"
  fi
  rc=$?
  log "END $side $task $net batch $batch $*: rc=$rc"
  return $rc
}

diagnose() {
  log "DIAG: does JAX itself run on this plugin?"
  timeout "$(budget 60)" "$PY" -c '
import jax, jax.numpy as jnp
print("jax", jax.__version__, jax.devices())
x = jnp.ones((8, 32, 32, 3)); k = jnp.ones((3, 3, 3, 16))
y = jax.lax.conv_general_dilated(x, k, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))
print("jax conv ok", float(y.sum()))' || log "DIAG: JAX failed too"
  log "DIAG: GoMLX conv-4 with full XLA logging and no data-dir flag"
  timeout "$(budget 90)" env GOMLX_NO_AUTO_INSTALL=1 "GOMLX_BACKEND=xla:$PLUGIN" TF_CPP_MIN_LOG_LEVEL=0 \
    "LD_LIBRARY_PATH=${NVLIBS}" "$GPUBENCH" -net conv-4 -batch 32 -steps 2 -warmup 1 || log "DIAG: rc=$?"
}

# In order of importance, PyTorch first in each group (fast, and a baseline even if XLA fails).
# The WRN classifies with XLA's fused batch norm (-bn backend) and with nets.BatchNorm in graph
# ops (-bn graph); both have the exact gradient. Instance discrimination (NCE over a memory
# bank) uses the fused one. STEPS (default 60) timed steps follow 10 warm-up steps; Conv-4,
# ten times cheaper a step, runs 4×STEPS.
STEPS=${GPU_BENCH_STEPS:-60}
bench torch 60 classify wrn-28-2 256 "$STEPS"
bench gomlx 150 classify wrn-28-2 256 "$STEPS" -bn backend || diagnose
bench gomlx 100 classify wrn-28-2 256 "$STEPS" -bn graph
bench torch 60 instance wrn-28-2 256 "$STEPS"
bench gomlx 100 instance wrn-28-2 256 "$STEPS" -bn backend
# bfloat16 mixed precision (float32 weights, batch norm and loss), PyTorch with autocast and
# channels-last, at the authors' batch of 128 and at 256.
bench torch 60 instance wrn-28-2 128 "$STEPS" -precision bfloat16 -channels-last
bench gomlx 100 instance wrn-28-2 128 "$STEPS" -bn backend -precision bfloat16
bench torch 60 instance wrn-28-2 256 "$STEPS" -precision bfloat16 -channels-last
bench gomlx 100 instance wrn-28-2 256 "$STEPS" -bn backend -precision bfloat16
bench torch 60 classify wrn-28-2 64 "$STEPS"
bench gomlx 100 classify wrn-28-2 64 "$STEPS" -bn backend
bench gomlx 100 classify wrn-28-2 64 "$STEPS" -bn graph
bench torch 60 classify conv-4 256 $((4 * STEPS))
bench gomlx 60 classify conv-4 256 $((4 * STEPS))

log "summary"
DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ) GPU=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1) \
PLUGIN=$PLUGIN PJRT_VERSION=$PJRT_VERSION XLA_ENV="${XLA_ENV[*]}" OUTDIR=$OUT STEPS=$STEPS DEADLINE=$DEADLINE "$PY" - <<'EOF'
import json, os, re
out = os.environ["OUTDIR"]
def portable(s):
    # The GPU machine's own folders are not the reader's: Python's site-packages is named so,
    # a home or temporary folder <dir>; system folders (/usr/local/cuda) stay.
    s = re.sub(r"/[^\s:=]*/site-packages/", "<site-packages>/", s)
    return re.sub(r"(?<![\w<>.-])/(?:root|home/[^/\s:=]+|tmp)(?:/[^/\s:=]+)*/", "<dir>/", s)
def load(name):
    rows = []
    for line in open(os.path.join(out, name)):
        line = line.strip()
        if line.startswith("{"):
            rows.append(json.loads(line))
    return rows
gomlx, torch = load("gomlx.jsonl"), load("torch.jsonl")
def key(r):
    return r.get("task", "classify"), r["net"], r["batch"], r.get("precision", "float32")
table = []
def row(g, t):
    gi, ti = g.get("images_per_s"), t.get("images_per_s")
    return {
        "task": g.get("task", t.get("task")),
        "net": g.get("net", t.get("net")), "batch": g.get("batch", t.get("batch")), "gomlx_bn": g.get("bn"),
        "precision": g.get("precision", t.get("precision", "float32")),
        "gomlx_images_per_s": gi, "pytorch_images_per_s": ti,
        "ratio_gomlx_over_pytorch": gi / ti if gi and ti else None,
        "params_gomlx": g.get("params"), "params_pytorch": t.get("params"),
        "gomlx_warmup_seconds": g.get("warmup_seconds"),
        "loss_last_gomlx": g.get("loss_last"), "loss_last_pytorch": t.get("loss_last"),
    }
for t in torch:
    gs = [g for g in gomlx if key(g) == key(t)]
    table += [row(g, t) for g in gs] or [row({}, t)]
table += [row(g, {}) for g in gomlx if not any(key(g) == key(t) for t in torch)]
steps = os.environ["STEPS"]
res = {
    "title": "Training-step throughput on one GPU: GoMLX (XLA/PJRT CUDA) beside PyTorch, classification and instance-discrimination pretraining",
    "commit": os.environ.get("MT_COMMIT") or "unknown",
    "backend": "xla", "device": os.environ["GPU"], "date": os.environ["DATE"],
    "command": "OUT=$OUT" + (f" GPU_BENCH_STEPS={steps}" if steps != "60" else "")
               + (f" GPU_BENCH_DEADLINE={os.environ['DEADLINE']}" if os.environ["DEADLINE"] != "380" else "") + " lib/gpu/run.sh",
    "step": f"one fixed batch of random 32x32x3 images (28x28x1 for Conv-4) kept on the GPU, SGD (lr 0.01, momentum 0.9, weight decay 5e-4); images/s over {steps} timed steps ({4 * int(steps)} for Conv-4) after 10 warm-up steps; float32 unless the row says bfloat16 (mixed precision: float32 weights, batch norm and loss; PyTorch with autocast and channels-last)",
    "plugin": portable(os.environ["PLUGIN"]), "jax_cuda13_pjrt": os.environ["PJRT_VERSION"],
    "gomlx_env": portable(os.environ["XLA_ENV"]), "table": table, "gomlx": gomlx, "pytorch": torch,
}
json.dump(res, open(os.path.join(out, "results.json"), "w"), indent=2)
lines = [f"Training step (forward, loss, backward, SGD momentum 0.9), float32, fixed random batch, on {res['device']}, {res['date']}.",
         "classify: cross-entropy over 10 classes; instance: 128-d embedding, NCE with 4096 negatives over a 50,000-row memory bank, bank update.", "",
         "| task | net | batch | GoMLX batch norm | GoMLX XLA img/s | PyTorch eager img/s | GoMLX/PyTorch | params (GoMLX / PyTorch) | last loss (GoMLX / PyTorch) |",
         "|---|---|---:|---|---:|---:|---:|---|---|"]
def num(v, fmt):
    return "failed" if v is None else format(v, fmt)
for r in table:
    lines.append(f"| {r['task']} | {r['net']} | {r['batch']} | {r['gomlx_bn']} | {num(r['gomlx_images_per_s'], '.0f')} | "
                 f"{num(r['pytorch_images_per_s'], '.0f')} | {num(r['ratio_gomlx_over_pytorch'], '.2f')} | "
                 f"{r['params_gomlx']} / {r['params_pytorch']} | "
                 f"{num(r['loss_last_gomlx'], '.3f')} / {num(r['loss_last_pytorch'], '.3f')} |")
open(os.path.join(out, "table.md"), "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
EOF
log "done"
