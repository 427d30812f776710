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
# tests are stopped; default 540). The log goes to $OUT/resume.log.
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
log "RUN TestKillResume/($CASES) with ${KILLS:-3} kill points each"
# The tests rerun their own binary as mt in folders of their own: its path must be absolute.
timeout "${MT_TIMEOUT:-540}" env "${XLA_ENV[@]}" MT_DATA_DIR="$(realpath "$DATA")" MT_COMMIT="${MT_COMMIT:-unknown}" \
	"$(realpath "$RUN/mt.test")" -test.run "TestKillResume/($CASES)\$" -test.v -test.count=1 -test.timeout 30m \
	-resume.kills "${KILLS:-3}" -resume.long ${SEED:+-resume.seed "$SEED"}
log "tests exited: $?"
log "done"
