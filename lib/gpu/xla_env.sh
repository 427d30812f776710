# Sourced by the GPU scripts (run.sh, table2.sh): finds the PJRT CUDA plugin of JAX's
# jax-cuda13-pjrt package (or $PJRT_CUDA_PLUGIN), NVIDIA's pip libraries and a CUDA data
# directory (ptxas, libdevice) with one Python pass over site-packages, logs what it found, and
# sets XLA_ENV, the environment (an array for `env`) under which a cgo GoMLX binary runs on the
# GPU through GoMLX's XLA backend. Needs $PY (a python3) and a log function.
# One Python pass finds the plugin, NVIDIA's pip libraries and a CUDA data directory.
eval "$("$PY" - <<'EOF'
import glob, os, site, sys, shlex
dirs = []
for d in site.getsitepackages() + [site.getusersitepackages()] + sys.path:
    if d and os.path.isdir(d) and d not in dirs:
        dirs.append(d)
plugin = os.environ.get("PJRT_CUDA_PLUGIN", "")
for d in dirs:
    for p in sorted(glob.glob(os.path.join(d, "jax_plugins", "xla_cuda*", "xla_cuda_plugin.so")), reverse=True):
        plugin = plugin or p
libs, data = [], ""
for d in dirs:
    libs += sorted(glob.glob(os.path.join(d, "nvidia", "*", "lib")))
    for c in sorted(glob.glob(os.path.join(d, "nvidia", "*")), reverse=True):
        if os.path.exists(os.path.join(c, "nvvm", "libdevice", "libdevice.10.bc")) and not data:
            data = c
if not data and os.path.exists("/usr/local/cuda/nvvm/libdevice/libdevice.10.bc"):
    data = "/usr/local/cuda"
try:
    from importlib.metadata import version
    pjrt_version = version("jax-cuda13-pjrt")
except Exception as e:
    pjrt_version = f"unknown ({e.__class__.__name__})"
print(f"PLUGIN={shlex.quote(plugin)}")
print(f"NVLIBS={shlex.quote(':'.join(libs))}")
print(f"CUDA_DATA={shlex.quote(data)}")
print(f"PJRT_VERSION={shlex.quote(pjrt_version)}")
EOF
)"
log "PJRT plugin: ${PLUGIN:-NOT FOUND} (jax-cuda13-pjrt $PJRT_VERSION)"
log "CUDA data dir (ptxas, libdevice): ${CUDA_DATA:-NOT FOUND}; ptxas: $(ls "$CUDA_DATA"/bin/ptxas 2>&1)"
log "NVIDIA pip library dirs: ${NVLIBS:-none}"
if command -v readelf >/dev/null && [ -n "$PLUGIN" ]; then
  log "plugin dynamic section: $(readelf -d "$PLUGIN" | grep -E 'NEEDED|PATH' | tr -s ' ' | tr '\n' ';')"
fi
XLA_ENV=(GOMLX_NO_AUTO_INSTALL=1 GOPJRT_CUDA_CHECKS=0 "GOMLX_BACKEND=xla:$PLUGIN" TF_CPP_MIN_LOG_LEVEL=1
  "LD_LIBRARY_PATH=${NVLIBS}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
[ -n "$CUDA_DATA" ] && XLA_ENV+=("XLA_FLAGS=--xla_gpu_cuda_data_dir=$CUDA_DATA ${XLA_FLAGS:-}")
log "GoMLX environment: ${XLA_ENV[*]}"

# xla_deterministic adds --xla_gpu_deterministic_ops=true to XLA_ENV's XLA_FLAGS: scatters and
# reductions then sum in one order, so that a run (and a resumed one) gives the same bits twice.
xla_deterministic() {
	local flags=--xla_gpu_deterministic_ops=true i
	for i in "${!XLA_ENV[@]}"; do
		case "${XLA_ENV[$i]}" in XLA_FLAGS=*) XLA_ENV[$i]="${XLA_ENV[$i]} $flags"; flags= ;; esac
	done
	[ -n "$flags" ] && XLA_ENV+=("XLA_FLAGS=$flags")
	log "deterministic: ${XLA_ENV[*]}"
}
