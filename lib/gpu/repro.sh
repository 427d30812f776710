#!/usr/bin/env bash
# One of the paper's tables (2 to 5) at the paper's scale on an NVIDIA GPU through GoMLX's XLA
# backend, on a machine without Go: run from the repository root after `make gpu-pack` has put
# an xz-compressed cgo build of mt and the xz-compressed CIFAR-10 JPEG zip under build/gpu-run
# (about 27 MB, small enough to travel with the tree to a machine that takes 64 MiB).
#
#   OUT=build/gpu-table3 TABLE=3 MT_COMMIT=<commit> lib/gpu/repro.sh
#
# Settings (environment): TABLE (2), ROWS (mt repro --rows; default instance/spectral for
# table 2, the table's own rows otherwise), LABELS (250,4000), RUN_SECONDS (540: the whole run's
# budget; the classifiers share what the metric leaves; 0 for none), PRETRAIN_SECONDS (280: the
# metric trains whole cycles of the authors' warm-restart schedule, 10, 20, 40… epochs, as many
# as fit), SUFFIX (-xla plus the GPU's model), ARGS (more mt repro flags, e.g. "--pool 300
# --test 100" or "--classifier-steps 3000"), MT_BACKEND (another GoMLX backend than the GPU's,
# e.g. "go" for a dry run of the script on a CPU), MT_TIMEOUT (seconds after which mt is
# stopped, so that what it published still comes back; default none), KEEP_CKPT (1: bring the
# metric's checkpoint back; 0: not). Results go to $OUT:
# run.log, table<TABLE>-paper<suffix>.json and .png, published after every cell, and the
# metric's checkpoint as ckpt-pretrain.tar.part-* (15 MB pieces, so that each comes back from a
# machine that returns files of at most 16 MiB; `cat` them and untar into --checkpoint-dir to
# resume or reuse it).
#
# A run longer than one GPU slice (the headline cells at 200K iterations, say) is continued
# across slices with RUN_NAME: it goes on from the state committed in figures/runs/$RUN_NAME/state
# (none: from the start), its trainings pause when SLICE_SECONDS (570) are nearly spent (mt repro
# --pause-after), and the state to commit in its place comes back in $OUT/state (mt repro
# --export: the small cache entries, the checkpoints of the trainings under way in parts of at
# most 15 MiB); `make run-install FROM=<files_at> RUN_NAME=…` puts it there. STEPS_PER_CALL
# (1) is mt repro --steps-per-call. The run's settings are the command's: keep them from slice to
# slice (they are recorded in figures/runs/$RUN_NAME/state/command).
set -u -o pipefail
TABLE=${TABLE:-2}
OUT=${OUT:-build/gpu-table$TABLE}
PY=${PYTHON:-python3}
RUN=build/gpu-run
LOG=run.log BIN=mt
. lib/gpu/unpack.sh

. lib/gpu/xla_env.sh
[ -n "${MT_BACKEND:-}" ] && XLA_ENV=("GOMLX_BACKEND=$MT_BACKEND") && log "backend overridden: $MT_BACKEND"
GPU=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 | awk '{print tolower($2)}')
SUFFIX=${SUFFIX:--xla-${GPU:-gpu}}
CKPT=/tmp/mt-checkpoints
mkdir -p "$CKPT"
# A checkpoint brought back from an earlier run continues from where it stopped.
if ls "$RUN"/ckpt-pretrain.tar.part-* >/dev/null 2>&1; then
	cat "$RUN"/ckpt-pretrain.tar.part-* | tar -x -C "$CKPT" && log "resuming from $(ls "$CKPT")"
fi
ROWS=${ROWS:-}
[ "$TABLE" = 2 ] && ROWS=${ROWS:-instance/spectral}
slice=()
if [ -n "${RUN_NAME:-}" ]; then
	STATE=figures/runs/$RUN_NAME/state
	rm -rf "$OUT/state"
	# What the slice has left, less a minute and a half for loading, for the stages between
	# trainings, which a pause does not interrupt, and for the export.
	pause=$((${SLICE_SECONDS:-570} - SECONDS - 90))
	[ "$pause" -gt 30 ] || { log "FATAL: SLICE_SECONDS=${SLICE_SECONDS:-570} leaves no time to train"; exit 1; }
	slice=(--pause-after "${pause}s" --export "$OUT/state")
	[ -d "$STATE" ] && slice+=(--resume-from "$STATE") && log "going on from $STATE"
	KEEP_CKPT=0
fi
log "RUN mt repro --table $TABLE --scale paper ${slice[*]}"
${MT_TIMEOUT:+timeout "$MT_TIMEOUT"} env "${XLA_ENV[@]}" MT_COMMIT="${MT_COMMIT:-unknown}" "$RUN/mt" repro --table "$TABLE" --scale paper \
	${ROWS:+--rows "$ROWS"} --labels "${LABELS:-250,4000}" \
	--seconds "${RUN_SECONDS:-540}" --pretrain-seconds "${PRETRAIN_SECONDS:-280}" \
	--data-dir "$RUN/data" --cache-dir /tmp/mt-cache --checkpoint-dir "$CKPT" \
	--steps-per-call "${STEPS_PER_CALL:-1}" "${slice[@]}" \
	--publish "$OUT" --suffix "$SUFFIX" ${ARGS:-}
log "mt exited: $?"
if [ -d "$OUT/state" ]; then
	echo "TABLE=$TABLE ROWS=$ROWS LABELS=${LABELS:-250,4000} RUN_SECONDS=${RUN_SECONDS:-540} PRETRAIN_SECONDS=${PRETRAIN_SECONDS:-280} ARGS=${ARGS:-}" >"$OUT/state/command"
	log "state: $(du -sb "$OUT/state" | cut -f1) bytes in $(find "$OUT/state" -type f | wc -l) files"
fi
# The metric's checkpoint (the newest one, with the directory's origin.json and, once trained,
# pretrain.json), in pieces; KEEP_CKPT=0 skips it. Checkpoints are numbered in the order they
# were written, so the newest sorts last.
for d in "$CKPT"/pretrain-*; do
	[ "${KEEP_CKPT:-1}" = 0 ] && break
	[ -d "$d" ] || continue
	newest=$(ls "$d"/ckpt-*.json 2>/dev/null | sort | tail -1)
	[ -n "$newest" ] || continue
	base=$(basename "$newest" .json)
	name=$(basename "$d")
	files=("$name/origin.json" "$name/$base.json" "$name/$base.bin")
	[ -f "$d/pretrain.json" ] && files+=("$name/pretrain.json")
	tar -c -C "$CKPT" "${files[@]}" | split -b 15M - "$OUT/ckpt-pretrain.tar.part-"
	log "checkpoint $d/$base: $(ls -la "$OUT"/ckpt-pretrain.tar.part-* | awk '{s+=$5} END {print s}') bytes"
	break
done
log "done"
