#!/usr/bin/env bash
# The kill-and-resume tests (TestKillResume of lib/cmd/mt) on an NVIDIA GPU through GoMLX's XLA
# backend, on a machine without Go: each command is run uninterrupted, then killed with SIGKILL
# at points drawn from the uninterrupted run's trace and rerun, and what the rerun leaves must
# equal what the uninterrupted run left, bit for bit. Run from the repository root after `make
# gpu-resume-pack` has put an xz-compressed cgo build of lib/cmd/mt's test binary, the CIFAR-10
# JPEG zip and Fashion-MNIST's test split under build/gpu-run:
#
#   OUT=build/gpu-resume MT_COMMIT=<commit> lib/gpu/resume.sh
#
# Settings (environment): KILLS (3 kill points per command), SEED (the draw; printed when
# unset), CASES (a -test.run pattern over TestKillResume's commands; default those whose data
# travels: pretrain-instance, table4-vat, table2, table4-baselines, pretrain-color),
# DETERMINISTIC (1: XLA_FLAGS=--xla_gpu_deterministic_ops=true, so that scatters and reductions
# run in one order; 0: XLA's default, to see whether resumes are exact without it), MT_BACKEND
# (another GoMLX backend, e.g. "go" for a dry run on a CPU), MT_TIMEOUT (seconds after which the
# tests are stopped, all commands together; default 540). The log goes to $OUT/resume.log.
set -u -o pipefail
OUT=${OUT:-build/gpu-resume}
PY=${PYTHON:-python3}
RUN=build/gpu-run
LOG=resume.log BIN=mt.test
. lib/gpu/unpack.sh
DATA=$RUN/data
mkdir -p "$DATA/fashion-mnist"
cp -n "$RUN"/fashion-mnist/t10k-*.gz "$DATA/fashion-mnist/" || { log "FATAL: no Fashion-MNIST test split"; exit 1; }

. lib/gpu/xla_env.sh
[ -n "${MT_BACKEND:-}" ] && XLA_ENV=("GOMLX_BACKEND=$MT_BACKEND") && log "backend overridden: $MT_BACKEND"
[ "${DETERMINISTIC:-1}" = 1 ] && xla_deterministic
CASES=${CASES:-pretrain-instance|table4-vat|table2|table4-baselines|pretrain-color}
# Each command in a call of its own, so that a timeout leaves the verdicts of those before it
# (go test prints a test's passed subtests only when the whole test ends). One seed for all:
# drawn here when SEED is unset.
SEED=${SEED:-$(od -An -N8 -tu8 /dev/urandom | tr -d ' ')}
deadline=$((SECONDS + ${MT_TIMEOUT:-540}))
IFS='|' read -r -a cases <<<"$CASES"
for c in "${cases[@]}"; do
	left=$((deadline - SECONDS))
	[ "$left" -gt 10 ] || { log "SKIP $c: MT_TIMEOUT spent"; continue; }
	log "RUN TestKillResume/$c with ${KILLS:-3} kill points, seed $SEED, at most ${left}s"
	# The tests rerun their own binary as mt in folders of their own: its path must be absolute.
	timeout "$left" env "${XLA_ENV[@]}" MT_DATA_DIR="$(realpath "$DATA")" MT_COMMIT="${MT_COMMIT:-unknown}" \
		"$(realpath "$RUN/mt.test")" -test.run "TestKillResume/$c\$" -test.v -test.count=1 -test.timeout 30m \
		-resume.kills "${KILLS:-3}" -resume.long -resume.seed "$SEED"
	status=$?
	case $status in
	0) log "PASS $c" ;;
	124) log "TIMEOUT $c: no verdict" ;;
	*) log "FAIL $c (exit $status)" ;;
	esac
done
log "done"
