# Strata: the two commands a new user needs are `make run` and `make test`.
# Everything else is a convenience over CMake presets (see CMakePresets.json).
.PHONY: all run test e2e build bootstrap asan tsan stress fuzz bench format format-check clean

PRESET ?= release
JOBS ?= $(shell nproc)

all: build

bootstrap:
	@./scripts/bootstrap

build: bootstrap
	@cmake --preset $(PRESET) >/dev/null
	@cmake --build --preset $(PRESET) -j $(JOBS)

# Starts the showcase (apps/showcase): https://localhost:8443/ (ARGS="--port 9443 ..." to change).
run: build
	./build/$(PRESET)/apps/strata-showcase $(ARGS)

# The showcase end to end: headless chromium (playwright-core from npm, tests/e2e), curl, h2load
# and Node's ws client against one process, then SIGTERM. Screenshots: build/$(PRESET)/e2e/.
e2e: build
	@test -d tests/e2e/node_modules || npm ci --prefix tests/e2e --no-audit --no-fund
	node tests/e2e/showcase.mjs build/$(PRESET)/apps/strata-showcase build/$(PRESET)/e2e

# Builds and runs the whole test suite with CTest.
test: build
	ctest --preset $(PRESET) -j $(JOBS)

asan:
	@$(MAKE) --no-print-directory test PRESET=asan

# TSan: the runtime's tests (preset filter: label "runtime"), plus the multi-threaded tests of the
# layers above it (connection pools, the HTTP/1.1 and HTTP/2 server and client, TLS streams and
# HTTPS, WebSocket, the web layer's ws and SSE bridges, rx's cross-thread bridges and share, on
# two workers). Tests run on every runtime flavour (tests/support/flavours.hpp, named
# <Suite>.<name>/<flavour>) take their multi2 instance only; plain TESTs of those suites are all
# taken. A suite joins after clean runs by hand (RxThreads waits: see docs/rx.md).
TSAN_EXTRA := ^(Pool|KeyedPool|HttpServer|HttpClient|HttpsServer|ClientTls|ClientH2|TlsStream|WsServer|WsClient|WsRoom|WebWs|WebSse|RxBridge|RxShare)[A-Za-z0-9]*\.[A-Za-z0-9_]+(/multi2)?$$
tsan:
	@$(MAKE) --no-print-directory test PRESET=tsan
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	  ctest --test-dir build/tsan --output-on-failure -j $(JOBS) -R '$(TSAN_EXTRA)'

# Yield injection: src/rt rebuilt with STRATA_STRESS_ATOMICS (every atomic operation may yield the
# thread) and the runtime's multi-thread, stress and sync tests run against it, in release and
# under TSan (presets stress and stress-tsan, label stress-atomics; docs/runtime.md).
stress: bootstrap
	@for p in stress stress-tsan; do \
	  cmake --preset $$p >/dev/null && cmake --build --preset $$p -j $(JOBS) && \
	  ctest --preset $$p -j $(JOBS) || exit 1; \
	done

# Runs every libFuzzer target for FUZZ_SECONDS (default 20) each.
fuzz:
	@./scripts/fuzz

bench: build
	@for b in $$(find build/$(PRESET)/bench -type f -perm -u+x -name 'strata-*bench*' | sort); do echo "== $$b"; "$$b"; done

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

format-check:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror

clean:
	rm -rf build
