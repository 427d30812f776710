#!/usr/bin/env bash
# Several classifier trainings sharing one GPU (Table 2's cells trained at once): the aggregate
# images/s of 1, 2 and 4 WRN-28-2 classifiers at the paper's batch of 128, two ways:
#   goroutines  one gpubench process, each model in its own goroutine on one XLA backend
#               (gpubench -parallel), so that one's host work overlaps another's steps;
#   processes   N gpubench processes at once, each opening the GPU with the PJRT client options
#               of $MT_XLA_CLIENT (here XLA_CLIENT, "preallocate=false": without it the first
#               process takes most of the GPU's memory), their timed steps started together
#               (gpubench -barrier) and their rate taken over the union of their windows.
# Run from the repository root on a GPU machine with bin/gpubench (CGO_ENABLED=1 go build -o
# bin/gpubench ./lib/cmd/gpubench), or, on one without Go, with what `make gpu-bench-pack` left
# in build/gpu-run:
#
#   OUT=build/gpu-cells lib/gpu/cells.sh
#
# Settings (environment): PARALLEL (1 2 4), MODES (goroutines processes), BATCH (128), STEPS (60
# timed steps per model, after 10 warm-up steps), ARGS (more gpubench flags, e.g. "-precision
# bfloat16"), XLA_CLIENT (preallocate=false), MT_BACKEND (e.g. "go" for a dry run on a CPU).
# Results: $OUT/cells.jsonl (one line per mode and count: gpubench's for goroutines, a summary
# of the processes' lines for processes, whose own lines are in $OUT/processes-N.jsonl) and
# cells.log, whose last lines give each count's images/s and its ratio to one model's.
set -u -o pipefail
OUT=${OUT:-build/gpu-cells}
PY=${PYTHON:-python3}
GPUBENCH=${GPUBENCH:-bin/gpubench}
mkdir -p "$OUT"
exec > >(tee -a "$OUT/cells.log") 2>&1
log() { echo "[$(date +%T) +${SECONDS}s] $*"; }
log "start: $(uname -srm); $(nproc) CPUs"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || log "nvidia-smi failed"
# A machine without Go gets gpubench xz-compressed from `make gpu-bench-pack`.
if [ ! -x "$GPUBENCH" ] && [ -f build/gpu-run/gpubench.xz ]; then
	GPUBENCH=build/gpu-run/gpubench
	"$PY" -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$GPUBENCH.xz" "$GPUBENCH" &&
		chmod +x "$GPUBENCH" && log "unpacked $GPUBENCH"
fi
[ -x "$GPUBENCH" ] || { log "FATAL: $GPUBENCH missing or not executable"; exit 1; }
. lib/gpu/xla_env.sh
[ -n "${MT_BACKEND:-}" ] && XLA_ENV=("GOMLX_BACKEND=$MT_BACKEND") && log "backend overridden: $MT_BACKEND"
BENCH=(-task classify -net wrn-28-2 -batch "${BATCH:-128}" -steps "${STEPS:-60}" -warmup 10)
: >"$OUT/cells.jsonl"
for mode in ${MODES:-goroutines processes}; do
	for n in ${PARALLEL:-1 2 4}; do
		case $mode in
		goroutines)
			log "RUN $n at once in one process: gpubench ${BENCH[*]} -parallel $n ${ARGS:-}"
			env "${XLA_ENV[@]}" "$GPUBENCH" "${BENCH[@]}" -parallel "$n" ${ARGS:-} |
				"$PY" -c 'import json,sys; [print(json.dumps(dict(json.loads(l), mode="goroutines"))) for l in sys.stdin if l.strip()]' |
				tee -a "$OUT/cells.jsonl"
			log "END $n: rc=${PIPESTATUS[0]}" ;;
		processes)
			log "RUN $n processes at once, MT_XLA_CLIENT=${XLA_CLIENT:-preallocate=false}: gpubench ${BENCH[*]} ${ARGS:-}"
			rm -rf "$OUT/barrier-$n" && : >"$OUT/processes-$n.jsonl"
			for i in $(seq "$n"); do
				env "${XLA_ENV[@]}" MT_XLA_CLIENT="${XLA_CLIENT:-preallocate=false}" "$GPUBENCH" "${BENCH[@]}" \
					-barrier "$OUT/barrier-$n:$n" ${ARGS:-} >>"$OUT/processes-$n.jsonl" &
			done
			fails=0
			for job in $(jobs -p); do wait "$job" || fails=$((fails + 1)); done
			log "END $n: $fails of $n processes failed"
			"$PY" - "$OUT/processes-$n.jsonl" "$n" <<'PYEOF' | tee -a "$OUT/cells.jsonl"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
n = int(sys.argv[2])
if len(rows) == n:
    window = max(r["timed_end"] for r in rows) - min(r["timed_start"] for r in rows)
    images = sum(r["steps"] * r["batch"] for r in rows)
    out = dict(rows[0], mode="processes", parallel=n, images_per_s=images / window, seconds=window,
               per_process_images_per_s=[r["images_per_s"] for r in rows])
    for k in ("timed_start", "timed_end", "loss_first", "loss_last"):
        out.pop(k, None)
    print(json.dumps(out))
PYEOF
			;;
		*) log "MODES: unknown mode $mode (want goroutines or processes)" ;;
		esac
	done
done
"$PY" - "$OUT/cells.jsonl" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
one = next((r["images_per_s"] for r in rows if r.get("parallel", 1) == 1), None)
for r in rows:
    n = r.get("parallel", 1)
    ratio = f"{r['images_per_s'] / one:.2f}x one model" if one else ""
    print(f"{r['mode']}: {n} at once: {r['images_per_s']:.0f} images/s in all ({r['images_per_s'] / n:.0f} each) {ratio}; {r['device']}")
PYEOF
log "done"
