#!/usr/bin/env bash
# Several classifier trainings sharing one GPU (Table 2's cells trained at once): the aggregate
# images/s of 1, 2 and 4 WRN-28-2 classifiers at the paper's batch of 128, each a model of its
# own trained in its own goroutine on one XLA backend (gpubench -parallel), so that one's host
# work overlaps another's steps on the device. Run from the repository root on a GPU machine
# with bin/gpubench (CGO_ENABLED=1 go build -o bin/gpubench ./lib/cmd/gpubench, built elsewhere
# when this machine has no Go):
#
#   OUT=build/gpu-cells lib/gpu/cells.sh
#
# Settings (environment): PARALLEL (1 2 4), BATCH (128), STEPS (60 timed steps per model, after
# 10 warm-up steps), ARGS (more gpubench flags, e.g. "-precision bfloat16"), MT_BACKEND (e.g.
# "go" for a dry run on a CPU). Results: $OUT/cells.jsonl (one gpubench line per count) and
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
[ -x "$GPUBENCH" ] || { log "FATAL: $GPUBENCH missing or not executable"; exit 1; }
. lib/gpu/xla_env.sh
[ -n "${MT_BACKEND:-}" ] && XLA_ENV=("GOMLX_BACKEND=$MT_BACKEND") && log "backend overridden: $MT_BACKEND"
: >"$OUT/cells.jsonl"
for n in ${PARALLEL:-1 2 4}; do
	log "RUN $n at once: gpubench -task classify -net wrn-28-2 -batch ${BATCH:-128} -parallel $n ${ARGS:-}"
	env "${XLA_ENV[@]}" "$GPUBENCH" -task classify -net wrn-28-2 -batch "${BATCH:-128}" -steps "${STEPS:-60}" -warmup 10 \
		-parallel "$n" ${ARGS:-} | tee -a "$OUT/cells.jsonl"
	log "END $n: rc=${PIPESTATUS[0]}"
done
"$PY" - "$OUT/cells.jsonl" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
one = next((r["images_per_s"] for r in rows if r.get("parallel", 1) == 1), None)
for r in rows:
    n = r.get("parallel", 1)
    ratio = f"{r['images_per_s'] / one:.2f}x one model" if one else ""
    print(f"{n} at once: {r['images_per_s']:.0f} images/s in all ({r['images_per_s'] / n:.0f} each) {ratio}; {r['device']}")
PYEOF
log "done"
