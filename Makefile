# advisor — see README.md. `make demo` and `make test` are the quick start.
SWIFT ?= swift
.PHONY: setup build release demo test golden bench bench-peers fuzz format lint clean install uninstall
PREFIX ?= /usr/local
# Statically linked Swift runtime and Foundation: the dynamic loader's relocations of libswiftCore and
# libFoundation* were 8 of the 12 ms of `advisor --help` (issue 16). OpenBLAS and SQLite stay shared.
RELEASE_FLAGS ?= --static-swift-stdlib

setup:            ## install LAPACKE and OpenBLAS if missing
	@./scripts/setup.sh

build: setup
	$(SWIFT) build

release: setup     ## release build, Swift runtime and Foundation linked statically (start-up: BENCHMARKS.md)
	$(SWIFT) build -c release $(RELEASE_FLAGS)

demo: release     ## the main job on the bundled examples
	.build/release/advisor size --instrument BTC --regime volatile

# The golden files hold doubles to the last bit, and OpenBLAS's kernels (chosen at start-up from the
# CPU) round the last bit differently: AVX-512 (SkylakeX, Cooperlake) and AVX2 (Haswell, Zen) gave
# 0.39703894903627746 and 0.3970389490362775 for one headroom. advisor pins the AVX2 kernels itself
# where the CPU runs AVX2 and FMA (LAPACKLibrary.pinnedKernels); the tests set the same variable,
# from /proc/cpuinfo, so the files hold on any x86-64 machine with AVX2 even if that check changes.
# Set in the test process, so its own BLAS calls and every advisor it starts agree. `=`: looked up
# only by the targets that use it.
TEST_BLAS = $(shell grep -qw avx2 /proc/cpuinfo 2>/dev/null && echo OPENBLAS_CORETYPE=Haswell)

test: setup       ## the whole test suite
	$(TEST_BLAS) $(SWIFT) test --disable-xctest

golden: setup     ## re-record the CLI golden files (review the diff before committing)
	$(TEST_BLAS) ADVISOR_RECORD_GOLDEN=1 $(SWIFT) test --disable-xctest --filter AdvisorCLITests

bench: release    ## benchmarks (never part of the tests): BENCHMARKS.md
	./bench/run.sh

bench-peers: release  ## the same jobs in numpy, pandas, scikit-learn, PyPortfolioOpt, Riskfolio-Lib (venv in bench/.venv)
	./bench/peers.sh

fuzz: setup       ## libFuzzer on every parser, FUZZ_SECONDS (300) each, in .build-fuzz (docs/FUZZING.md)
	./scripts/fuzz.sh $(FUZZ_TARGETS)

format:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift

lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift

install: release  ## the binary, man pages and bash/zsh/fish completions under PREFIX (default /usr/local)
	$(SWIFT) package generate-manual --multi-page
	./scripts/install.sh "$(PREFIX)" .build/release/advisor .build/plugins/GenerateManual/outputs/advisor

uninstall:        ## removes what make install put under PREFIX
	./scripts/install.sh --uninstall "$(PREFIX)"

clean:
	rm -rf .build .build-fuzz
