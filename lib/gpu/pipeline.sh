#!/usr/bin/env bash
# The instance-discrimination pipeline's speed on an NVIDIA GPU, as the long run trains
# (mt pretrain: WRN-28-2 on the CIFAR-10 JPEG copy, the authors' views, SGD, batch 128, full
# softmax over the 50,000-row bank), in float32 and bfloat16 and with the views made on the host
# or on the device, each variant a short schedule of its own measured by images/s and by 200-NN
# accuracy at its end, so that the variants' speed and their kNN parity are read side by side.
# Run from the repository root after `make gpu-metric-pack` (the same pack as lib/gpu/metric.sh):
#
#   OUT=build/gpu-pipeline MT_COMMIT=<commit> lib/gpu/pipeline.sh
#
# Settings (environment): VARIANTS (float32-host float32-device bfloat16-host bfloat16-device; a
# third part bank32 keeps the memory bank in float32 instead of 16-bit fixed point, e.g.
# float32-host-bank32; a fourth part xN trains N steps per call to the compiled graph,
# --steps-per-call N, e.g. bfloat16-device-bank16-x4),
# EPOCHS (10: one cosine cycle, then the kNN measure), VARIANT_SECONDS (150: each variant pauses
# after this long, unmeasured), BATCH (128), CIFAR (1; 0 with ARGS="--data fashion-mnist …" for
# a dry run), ARGS (more mt pretrain flags), MT_BACKEND (e.g. "go" for a dry run on a CPU).
# Results: $OUT/pipeline.json (one row per variant), each variant's history.json, pipeline.log.
set -u -o pipefail
OUT=${OUT:-build/gpu-pipeline}
PY=${PYTHON:-python3}
RUN=build/gpu-run
LOG=pipeline.log BIN=mt
CIFAR=${CIFAR:-1}
. lib/gpu/unpack.sh
if [ "$CIFAR" = 0 ]; then
	mkdir -p "$RUN/data/fashion-mnist"
	cp -n "$RUN"/fashion-mnist/*.gz "$RUN/data/fashion-mnist/" 2>/dev/null || log "no Fashion-MNIST in $RUN/fashion-mnist"
fi
. lib/gpu/xla_env.sh
[ -n "${MT_BACKEND:-}" ] && XLA_ENV=("GOMLX_BACKEND=$MT_BACKEND") && log "backend overridden: $MT_BACKEND"

EPOCHS=${EPOCHS:-10}
for v in ${VARIANTS:-float32-host float32-device bfloat16-host bfloat16-device}; do
	IFS=- read -r precision where bank calls <<<"$v"
	flags=(--precision "$precision")
	[ "$where" = device ] && flags+=(--device-augment)
	[ "${bank:-bank16}" = bank16 ] && flags+=(--bank16)
	[ -n "${calls:-}" ] && flags+=(--steps-per-call "${calls#x}")
	dir=/tmp/mt-pipeline/$v
	rm -rf "$dir"
	log "RUN $v: mt pretrain ${flags[*]} --epochs $EPOCHS"
	timeout "$((${VARIANT_SECONDS:-150} + 120))" env "${XLA_ENV[@]}" MT_COMMIT="${MT_COMMIT:-unknown}" "$RUN/mt" pretrain \
		--method instance --net wrn-28-2 --data cifar10 --optimizer sgd --lr 0.03 --batch "${BATCH:-128}" \
		--epochs "$EPOCHS" --restart-epochs "$EPOCHS" --knn 200 --pause-after "${VARIANT_SECONDS:-150}s" \
		--data-dir "$RUN/data" --out "$dir" "${flags[@]}" ${ARGS:-} 2>&1 | tr '\r' '\n' | grep -v "^instance discrimination  \|^features  \|^$"
	log "END $v: rc=${PIPESTATUS[0]}"
	[ -f "$dir/history.json" ] && cp "$dir/history.json" "$OUT/history-$v.json"
done

OUTDIR=$OUT DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ) "$PY" - <<'PYEOF'
import glob, json, os
out, rows = os.environ["OUTDIR"], []
for path in sorted(glob.glob(os.path.join(out, "history-*.json"))):
    h = json.load(open(path))
    variant = os.path.basename(path)[len("history-"):-len(".json")]
    s = h["slices"][-1] if h.get("slices") else {}
    knn = (h.get("knn") or {}).get("points") or []
    rows.append({"variant": variant, "images_per_s": s.get("images_per_second"), "steps": s.get("to_step"),
                 "outcome": s.get("outcome"), "seconds": s.get("seconds"), "device": s.get("device"),
                 "commit": s.get("commit"), "command": s.get("command"),
                 "knn": [{"epoch": p["epoch"], "accuracy": p["accuracy"], "final": p.get("final", False)} for p in knn]})
json.dump({"date": os.environ["DATE"], "rows": rows}, open(os.path.join(out, "pipeline.json"), "w"), indent=2)
for r in rows:
    print(r["variant"], r["images_per_s"], r["outcome"], [(k["epoch"], k["accuracy"]) for k in r["knn"]])
PYEOF
log "done"
