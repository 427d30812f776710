#!/usr/bin/env bash
# A whole GPU lease's work in one call, on a machine without Go: a lent machine goes back
# seconds after a call returns, and starting another costs minutes of the lease, so the checks
# are not spread over calls. Run from the repository root after `make gpu-session-pack` has put
# xz-compressed cgo builds of mt and of lib/cmd/mt's test binary, the CIFAR-10 JPEG zip and
# Fashion-MNIST's test split under build/gpu-run:
#
#   OUT=build/gpu-session MT_COMMIT=<commit> lib/gpu/session.sh
#
# In order:
#   1. the kill-and-resume tests on XLA (lib/gpu/resume.sh) for at most RESUME_SECONDS, unless
#      RESUME_SECONDS=0: exact resume checked where the long runs actually train. Once a lease
#      has passed every case, make metric-install keeps its log as
#      figures/metrics/$METRIC/xla-resume.log, and later leases skip the tests by default;
#   2. one slice of the released metric's pretraining (lib/gpu/metric.sh) in what is left of
#      SESSION_SECONDS: it goes on from figures/metrics/$METRIC/resume and leaves the new
#      checkpoint in $OUT/resume (or the release in $OUT/release/$METRIC), for make
#      metric-install.
# $OUT then holds resume.log, metric.log and resume/ (or release/): no more than the 8 files a
# call brings back.
#
# Settings (environment): SESSION_SECONDS (560: the wall time of the whole call), RESUME_SECONDS
# (200, or 0 once xla-resume.log holds a PASS of every case and no FAIL), CASES and KILLS (resume.sh's; here "pretrain-instance|table2" and 2, what fits), METRIC
# (instance-wrn-28-2), ARGS, DETERMINISTIC and MT_BACKEND (metric.sh's; MT_BACKEND=go for a dry
# run on a CPU).
set -u -o pipefail
OUT=${OUT:-build/gpu-session}
TOTAL=${SESSION_SECONDS:-560}
METRIC=${METRIC:-instance-wrn-28-2}
CASES=${CASES:-pretrain-instance|table2}
mkdir -p "$OUT"
rm -f "$OUT/resume.log" "$OUT/metric.log"
# passed_before: whether a lease's committed log passes every case of CASES and fails none.
passed_before() {
	local log=figures/metrics/$METRIC/xla-resume.log c
	[ -f "$log" ] && ! grep -q -E '(FAIL|TIMEOUT) ' "$log" || return 1
	IFS='|' read -r -a cs <<<"$CASES"
	for c in "${cs[@]}"; do grep -q "PASS $c\$" "$log" || return 1; done
}
if [ -n "${RESUME_SECONDS:-}" ]; then
	RESUME_BUDGET=$RESUME_SECONDS
elif passed_before; then
	RESUME_BUDGET=0 && echo "[session] figures/metrics/$METRIC/xla-resume.log passes $CASES: no kill-and-resume tests this time"
else
	RESUME_BUDGET=200
fi
if [ "$RESUME_BUDGET" -gt 0 ]; then
	# resume.sh makes XLA deterministic by default; the metric's slice decides for itself.
	OUT=$OUT MT_TIMEOUT=$((RESUME_BUDGET - 20)) CASES=$CASES KILLS=${KILLS:-2} \
		DETERMINISTIC=1 lib/gpu/resume.sh
	echo "[session +${SECONDS}s] resume.sh exited: $?"
fi
left=$((TOTAL - SECONDS))
OUT=$OUT SLICE_SECONDS=$left METRIC=$METRIC lib/gpu/metric.sh
echo "[session +${SECONDS}s] metric.sh exited: $? ($left s given)"
find "$OUT" -type f | sort
