# Tandem: `make demo` to see it, `make test` to check it. `make help` lists the rest.
SHELL := /bin/bash
GO ?= go
BIN ?= bin
VERSION ?= 0.1.0-dev+$(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X github.com/tandem-remote/tandem/shared/version.Program=$(VERSION)
CORPUS ?= ../shared/corpus
FUZZTIME ?= 5s
GOLANGCI_LINT ?= $(GO) run github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0

.PHONY: help deps build demo demo-headless screenshots test vet vet-cross unit fuzz bench bench-codec bench-live bench-transfer bench-reach bench-wan lint clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

deps: ## install the Debian packages the build and the tests need (apt; sudo when not root)
	@bash .ci/deps.sh

build: deps ## build the three programs into bin/
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/tandem-expert ./expert
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/tandem-customer ./customer
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/tandem-rendezvous ./rendezvous

demo: build ## start Expert hosting a session and Customer joining it, on this display
	@if [ -z "$$DISPLAY" ] && [ -z "$$WAYLAND_DISPLAY" ]; then \
	  echo "No display here: run 'make demo-headless' to run both programs under Xvfb and save screenshots to $(BIN)/demo/."; \
	else BIN=$(BIN) bash .ci/demo.sh; fi

demo-headless: build ## the demo under Xvfb, writing bin/demo/expert.png and bin/demo/customer.png
	BIN=$(BIN) bash .ci/demo.sh --headless $(BIN)/demo

screenshots: deps ## every window of both programs and the join page, in English and French, as PNG files in bin/screenshots/<lang>/
	@bash .ci/deps.sh screenshots
	@rm -rf $(BIN)/screenshots
	TANDEM_SHOTS=$(abspath $(BIN))/screenshots $(GO) test -tags screenshots -count=1 -run '^TestScreenshots' ./expert ./customer ./shared/joinpage
	@echo "Screenshots: $(BIN)/screenshots/en and $(BIN)/screenshots/fr"

test: deps vet unit fuzz check-packaging ## everything CI runs: vet, all tests with the race detector (UI and end-to-end under Xvfb), short fuzzing, packaging checks

vet: vet-cross ## go vet
	$(GO) vet ./...

CROSS_PKGS = ./shared/unattended/... ./shared/rendezvous ./shared/transport/... ./shared/meet ./shared/store ./shared/protocol \
  ./shared/wayland ./shared/input/keysym ./shared/capture/pipewire
vet-cross: ## go vet of the shared code that macOS and Windows build without cgo here (their programs need their own systems)
	GOOS=darwin CGO_ENABLED=0 $(GO) vet $(CROSS_PKGS)
	GOOS=windows CGO_ENABLED=0 $(GO) vet $(CROSS_PKGS)

unit: ## all tests with the race detector; the end-to-end test starts its own Xvfb
	TANDEM_E2E=require $(GO) test -race -count=1 -timeout 15m ./...

fuzz: ## run every fuzz target for FUZZTIME (default 5s)
	@bash .ci/fuzz.sh $(FUZZTIME)

bench: bench-codec bench-live bench-transfer bench-reach bench-wan ## all benchmarks

bench-codec: ## the frame codec on the recordings of ../shared/corpus (lossless, and with coarse photographs while they scroll) and on wanbench's natural video, beside x264-lossless when installed
	GOMAXPROCS=2 $(GO) run ./shared/codec/framebench $(CORPUS)/*.frames.zst
	GOMAXPROCS=2 $(GO) run ./shared/codec/framebench -coarse 16 -every 2 $(CORPUS)/web-scroll.frames.zst $(CORPUS)/window-drag.frames.zst
	@mkdir -p $(BIN)
	$(GO) run ./shared/session/wanbench -video-out $(BIN)/natural-video.frames.zst
	GOMAXPROCS=2 $(GO) run ./shared/codec/framebench $$(command -v x264 >/dev/null && echo -x264) $(BIN)/natural-video.frames.zst

bench-live: ## a live loopback session at 1080p from the corpus, with one and four technicians (and from the real display when there is one)
	GOMAXPROCS=2 $(GO) run ./shared/session/livebench -d 10s $(CORPUS)/web-scroll.frames.zst
	GOMAXPROCS=2 $(GO) run ./shared/session/livebench -d 10s -techs 1 $(CORPUS)/web-scroll.frames.zst
	GOMAXPROCS=2 $(GO) run ./shared/session/livebench -d 10s -techs 4 $(CORPUS)/web-scroll.frames.zst
	@if [ -n "$$DISPLAY" ]; then GOMAXPROCS=2 $(GO) run ./shared/session/livebench -d 10s -x11 -animate $(CORPUS)/web-scroll.frames.zst; fi

bench-transfer: ## a 1 GiB file over a live loopback session: MB/s, and chat and input latency idle and during it
	GOMAXPROCS=2 $(GO) run ./shared/session/transferbench -size 1073741824

bench-reach: ## through a loopback rendezvous: join-to-first-frame p50/p95 direct and relayed, live fps relayed, rendezvous capacity
	GOMAXPROCS=2 $(GO) run ./shared/session/reachbench -n 20
	GOMAXPROCS=2 $(GO) run ./shared/session/livebench -d 10s -reach relayed $(CORPUS)/web-scroll.frames.zst
	$(GO) run ./shared/rendezvous/capacitybench -d 10s
	$(GO) run ./shared/rendezvous/capacitybench -d 10s -cluster 3 -concurrency 300

bench-wan: ## sessions through slow links (profiles A, B, C of issue 16): fps, latency, PSNR, still-to-exact, bytes, input and chat round trips, first picture
	GOMAXPROCS=2 $(GO) run ./shared/session/wanbench -move 8s $(CORPUS)/web-scroll.frames.zst $(CORPUS)/window-drag.frames.zst natural-video

lint: deps ## gofmt and golangci-lint (.golangci.yml: vet, staticcheck, errcheck, errorlint, the layer rule)
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GOLANGCI_LINT) run ./...

.PHONY: package-linux package-windows package-macos check-packaging

package-linux: deps ## both AppImages into dist/, with dist/SHA256SUMS (APPIMAGE_RUNTIME=path: use that runtime)
	@VERSION='$(VERSION)' LDFLAGS='$(LDFLAGS)' GO='$(GO)' bash packaging/linux/package.sh

package-windows: deps ## both MSIs into dist/, cross-built and signed (SIGN_PFX, SIGN_PASS; else a TEST certificate)
	@bash .ci/deps.sh windows
	@VERSION='$(VERSION)' LDFLAGS='$(LDFLAGS)' GO='$(GO)' bash packaging/windows/package.sh

package-macos: ## both DMGs into dist/, on a Mac (packaging/macos/build-dmg.sh); elsewhere it says it needs a Mac
	@VERSION='$(VERSION)' LDFLAGS='$(LDFLAGS)' GO='$(GO)' bash packaging/macos/build-dmg.sh

check-packaging: deps ## packaging checks in seconds: stand-in AppImage, MSIs, signing, .desktop, plists
	@GO='$(GO)' bash packaging/check.sh

clean: ## remove build output
	rm -rf $(BIN) dist
