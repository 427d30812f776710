# Sourced by the GPU scripts that run what `make gpu-pack`, `make gpu-resume-pack` or `make
# gpu-metric-pack` left in build/gpu-run (repro.sh, resume.sh, metric.sh), on a machine without
# Go: sends everything printed to $OUT/$LOG as well, logs the start, then unpacks the
# xz-compressed binary named $BIN and (unless CIFAR=0) the CIFAR-10 JPEG zip into
# $RUN/data/cifar10-jpeg (ZIP), exiting when either is missing. Needs OUT, LOG, RUN, BIN and PY;
# defines log and unxz_to.
mkdir -p "$OUT"
exec > >(tee -a "$OUT/$LOG") 2>&1
log() { echo "[$(date +%T) +${SECONDS}s] $*"; }
log "start: $(uname -srm); $(nproc) CPUs; commit ${MT_COMMIT:-unset}"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || log "nvidia-smi failed"

# unxz_to FILE.xz OUT: decompress, with xz or else Python's lzma.
unxz_to() {
	if command -v xz >/dev/null; then xz -dc "$1" >"$2"; else "$PY" -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; fi
}
mkdir -p "$RUN/data/cifar10-jpeg"
# The carried .xz is unpacked every time: a warm machine may keep the binary of an earlier call.
if [ -f "$RUN/$BIN.xz" ]; then unxz_to "$RUN/$BIN.xz" "$RUN/$BIN" && chmod +x "$RUN/$BIN"; fi
[ -x "$RUN/$BIN" ] || { log "FATAL: no $RUN/$BIN"; exit 1; }
ZIP=$RUN/data/cifar10-jpeg/cifar10-jpeg.zip
if [ "${CIFAR:-1}" = 1 ]; then
	[ -s "$ZIP" ] || unxz_to "$RUN/cifar10-jpeg.zip.xz" "$ZIP" || { log "FATAL: no CIFAR-10 zip"; exit 1; }
	log "unpacked: $(ls -la "$RUN/$BIN" "$ZIP" | awk '{print $5, $9}' | tr '\n' ' ')"
	if command -v sha256sum >/dev/null; then log "zip sha256: $(sha256sum "$ZIP" | cut -c1-64)"; fi
else
	log "unpacked: $(ls -la "$RUN/$BIN" | awk '{print $5, $9}')"
fi
