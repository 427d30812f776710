#!/usr/bin/env bash
# The quickstart on an NVIDIA GPU through GoMLX's XLA backend, on a machine without Go: run
# from the repository root after `make gpu-quickstart-pack` has put a cgo build of mt and
# Fashion-MNIST under build/gpu-mt (54 MB, small enough to travel with the tree). Results go
# to $OUT/figures (default build/gpu-quickstart/figures) with provenance; set MT_COMMIT to
# the commit the binary was built from when the machine has no git.
#
# The plugin is the PJRT CUDA plugin of JAX's jax-cuda13-pjrt package, found under / (set
# PLUGIN to skip the search); its NVIDIA libraries are put on LD_LIBRARY_PATH. See
# lib/gpu/run.sh for the plugin setup in detail.
set -u
OUT=${OUT:-build/gpu-quickstart}
mkdir -p "$OUT/figures"
exec > >(tee -a "$OUT/run.log") 2>&1
date -u
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
PLUGIN=${PLUGIN:-$(find / -name xla_cuda_plugin.so -path '*xla_cuda13*' 2>/dev/null | head -1)}
echo "plugin: $PLUGIN"
export GOMLX_NO_AUTO_INSTALL=1 GOPJRT_CUDA_CHECKS=0 GOMLX_BACKEND="xla:$PLUGIN"
[ -d /usr/local/cuda ] && export XLA_FLAGS=--xla_gpu_cuda_data_dir=/usr/local/cuda
NV=$(dirname "$PLUGIN")/../../nvidia
if [ -d "$NV" ]; then
	for d in "$NV"/*/lib; do LD_LIBRARY_PATH="$d:${LD_LIBRARY_PATH:-}"; done
	export LD_LIBRARY_PATH
fi
time ./build/gpu-mt/mt quickstart -scale "${MT_SCALE:-small}" -data-dir build/gpu-mt/data \
	-cache-dir "${MT_CACHE_DIR:-/tmp/mtcache}" -publish "$OUT/figures"
