#!/usr/bin/env bash
# Table 2 at the paper's scale on an NVIDIA GPU: lib/gpu/repro.sh with TABLE=2 and its settings
# under their Table 2 names, TABLE2_ROWS (instance/spectral), TABLE2_LABELS, TABLE2_SECONDS,
# TABLE2_SUFFIX and TABLE2_ARGS; PRETRAIN_SECONDS, MT_BACKEND and OUT as there.
#
#   OUT=build/gpu-table2 MT_COMMIT=<commit> lib/gpu/table2.sh
TABLE=2 ROWS=${TABLE2_ROWS:-} LABELS=${TABLE2_LABELS:-} RUN_SECONDS=${TABLE2_SECONDS:-} SUFFIX=${TABLE2_SUFFIX:-} \
	ARGS=${TABLE2_ARGS:-} exec "$(dirname "$0")/repro.sh"
