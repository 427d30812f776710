#!/usr/bin/env bash
# One slice of a released metric's long pretraining on an NVIDIA GPU through GoMLX's XLA
# backend, on a machine without Go. Run from the repository root after `make gpu-metric-pack`
# has put an xz-compressed cgo build of mt and the data under build/gpu-run:
#
#   OUT=build/gpu-metric METRIC=instance-wrn-28-2 MT_COMMIT=<commit> lib/gpu/metric.sh
#
# It goes on from the checkpoint committed in figures/metrics/$METRIC/resume (or starts at step
# 0 when there is none), trains for the slice's budget, and leaves in $OUT:
#   resume/          the new checkpoint (mt pretrain --export: data parts of at most 15 MiB,
#                    manifest, origin, history.json with the kNN curve and every slice so far),
#                    to commit in place of figures/metrics/$METRIC/resume;
#   release/$METRIC  once the schedule is done, the release itself (mt release), to commit as
#                    figures/metrics/$METRIC, the resume folder then removed;
#   metric.log       what it did.
# Resuming restores the whole state bit for bit (weights, optimiser, step, data order, and the
# memory bank, kept in 16-bit fixed point, which the checkpoint holds without loss); with
# DETERMINISTIC=1 (--xla_gpu_deterministic_ops) the GPU also sums in one order, so that the
# chained run ends where one uninterrupted run would, at some cost in speed.
#
# Settings (environment): METRIC (instance-wrn-28-2: the authors' CIFAR-10 metric, 1270 epochs;
# instance-conv4-fashion-mnist: the quickstart's Conv-4, 64 channels, 150 epochs), SLICE_SECONDS
# (570: the wall time this call may take, unpacking and export included; the training pauses so
# that it ends in time), DETERMINISTIC (0), ARGS (more mt pretrain flags, e.g. "--precision
# bfloat16 --device-augment"; they are part of the run, so the first slice's are kept in
# resume/args and used by the next ones when ARGS is unset), MT_BACKEND (another GoMLX backend,
# e.g. "go" for a dry run on a CPU).
set -u -o pipefail
OUT=${OUT:-build/gpu-metric}
PY=${PYTHON:-python3}
RUN=build/gpu-run
LOG=metric.log BIN=mt
METRIC=${METRIC:-instance-wrn-28-2}
case "$METRIC" in
instance-wrn-28-2)
	CIFAR=1
	FLAGS=(--method instance --net wrn-28-2 --data cifar10 --optimizer sgd --lr 0.03 --batch 128
		--epochs 1270 --restart-epochs 10 --bank16 --knn 200) ;;
instance-conv4-fashion-mnist)
	CIFAR=0
	FLAGS=(--method instance --net conv-4 --channels 64 --data fashion-mnist --batch 128
		--epochs 150 --restart-epochs 10 --bank16 --knn 200) ;;
*)
	echo "METRIC=$METRIC: want instance-wrn-28-2 or instance-conv4-fashion-mnist" >&2
	exit 2 ;;
esac
. lib/gpu/unpack.sh
if [ "$CIFAR" = 0 ]; then
	mkdir -p "$RUN/data/fashion-mnist"
	cp -n "$RUN"/fashion-mnist/*.gz "$RUN/data/fashion-mnist/" || { log "FATAL: no Fashion-MNIST in $RUN/fashion-mnist"; exit 1; }
fi
. lib/gpu/xla_env.sh
[ -n "${MT_BACKEND:-}" ] && XLA_ENV=("GOMLX_BACKEND=$MT_BACKEND") && log "backend overridden: $MT_BACKEND"
[ "${DETERMINISTIC:-0}" = 1 ] && xla_deterministic

CKPT=/tmp/mt-metric/$METRIC
RESUME=figures/metrics/$METRIC/resume
mkdir -p "$(dirname "$CKPT")"
rm -rf "$OUT/resume" "$OUT/release"
SLICE=${SLICE_SECONDS:-570}
# What the slice has left, less a minute for loading the data before training starts and for
# the export after it pauses.
pause=$((SLICE - SECONDS - 60))
[ "$pause" -gt 30 ] || { log "FATAL: SLICE_SECONDS=$SLICE leaves no time to train"; exit 1; }
pretrain() {
	timeout "$((SLICE - SECONDS))" env "${XLA_ENV[@]}" MT_COMMIT="${MT_COMMIT:-unknown}" "$RUN/mt" pretrain "${FLAGS[@]}" \
		--data-dir "$RUN/data" --out "$CKPT" --export "$OUT/resume" "$@" ${ARGS:-}
}
from=()
if [ -f "$RESUME/ckpt-000001.json" ]; then
	from=(--resume-from "$RESUME") && log "resuming from $RESUME"
	# The flags the run started with (e.g. --precision bfloat16 --device-augment) go with it.
	if [ -z "${ARGS:-}" ] && [ -f "$RESUME/args" ]; then ARGS=$(cat "$RESUME/args") && log "ARGS from $RESUME/args: $ARGS"; fi
fi
log "RUN mt pretrain ${FLAGS[*]} --pause-after ${pause}s ${ARGS:-}"
pretrain "${from[@]}" --pause-after "${pause}s"
status=$?
log "mt pretrain exited: $status"
if [ ! -f "$OUT/resume/ckpt-000001.json" ] && ls "$CKPT"/ckpt-*.json >/dev/null 2>&1 && [ $((SLICE - SECONDS)) -gt 90 ]; then
	# Stopped before its export (killed, or failed): one more short call exports what it saved.
	log "no export; exporting the newest checkpoint with a short call"
	rm -rf "$OUT/resume"
	pretrain --pause-after 1s
	log "mt pretrain exited: $?"
fi
if [ -f "$CKPT/pretrain.json" ]; then
	log "RUN mt release"
	timeout "$((SLICE - SECONDS))" env "${XLA_ENV[@]}" MT_COMMIT="${MT_COMMIT:-unknown}" "$RUN/mt" release --checkpoint "$CKPT" \
		--data-dir "$RUN/data" --out "$OUT/release/$METRIC"
	log "mt release exited: $?"
fi
# The kNN curve, beside the results unless resume/ carries it already (a call brings back 8 files).
[ -f "$CKPT/history.json" ] && [ ! -f "$OUT/resume/history.json" ] && cp "$CKPT/history.json" "$OUT/history.json"
[ -d "$OUT/resume" ] && printf '%s\n' "${ARGS:-}" >"$OUT/resume/args"
log "done: $(du -sh "$OUT" | cut -f1) in $OUT"
