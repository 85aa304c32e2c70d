# newslens: the two commands a user needs.
#   make run    set up, build, annotate corpus/ into output/annotations.jsonl, write output/report/
#   make test   set up, build, run the tests
ORT_VERSION := 1.32.0
ORT_DIR := .onnxruntime
ORT_LIB := $(ORT_DIR)/lib/libonnxruntime.so
PYTHON ?= python3

.PHONY: run test setup build browser spark tools clean-ort

run: build
	./target/release/newslens annotate corpus/ -o output/annotations.jsonl
	./target/release/newslens report output/annotations.jsonl -o output/report/

# Tests that need ../shared/data, Chromium or the built (not shipped) built/*-mpnet models are
# #[ignore]d in a plain `cargo test`; here they run
# whenever what they need is present, and the lines below say so when it is not.
# The tests of a model built on demand into built/$(1) (not shipped), named by $(2), described as $(3).
define built_model_tests
@if [ -f built/$(1)/model.onnx ]; then cargo test --release --test determinism --test tone -- --ignored $(2); \
  if [ -d "$${NEWSLENS_DATA:-../shared/data}" ]; then cargo test --release --test eval -- --ignored $(2); fi; \
  else echo "SKIPPED: $(3)'s tests (not shipped; build it with bash training/build_$(subst -,_,$(1)).sh)"; fi
endef

test: setup browser spark tools
	cargo test --release
	@if [ -d "$${NEWSLENS_DATA:-../shared/data}" ]; then cargo test --release --test eval -- --ignored --skip accurate --skip sentence_mpnet \
	  && cargo test --release --test determinism -- --ignored bbc_articles; \
	  else echo "SKIPPED: tests/eval.rs and the BBC determinism test (../shared/data is absent)"; fi
	$(call built_model_tests,targeted-mpnet,accurate,the accurate targeted model)
	$(call built_model_tests,sentiment-mpnet,sentence_mpnet,the accurate sentence model)
	@if command -v chromium >/dev/null; then cargo test --release --test report -- --ignored html_page_renders_in_chromium; \
	  else echo "SKIPPED: the Chromium rendering test (chromium could not be installed)"; fi
	@if [ -x .tools-venv/bin/python ]; then cargo test --release --test report -- --ignored duckdb_reads_the_parquet_tables; \
	  else echo "SKIPPED: the DuckDB check of the Parquet tables (duckdb could not be installed)"; fi
	@if command -v java >/dev/null && [ -x .spark-venv/bin/python ]; then cargo test --release --test spark -- --ignored; \
	  else echo "SKIPPED: the Spark test (Java or pyspark could not be installed)"; fi

build: setup
	cargo build --release

setup: $(ORT_LIB)

# libonnxruntime.so comes from the PyPI onnxruntime wheel: download it, unzip the library.
$(ORT_LIB):
	rm -rf $(ORT_DIR)/wheel && mkdir -p $(ORT_DIR)/wheel $(ORT_DIR)/lib
	$(PYTHON) -m pip download --quiet --no-deps --only-binary=:all: --dest $(ORT_DIR)/wheel onnxruntime==$(ORT_VERSION)
	cd $(ORT_DIR)/wheel && $(PYTHON) -m zipfile -e onnxruntime-*.whl unpacked
	cp $(ORT_DIR)/wheel/unpacked/onnxruntime/capi/libonnxruntime.so.* $(ORT_LIB)
	rm -rf $(ORT_DIR)/wheel

# Headless Chromium renders the HTML report in the tests (Debian's package; needs root).
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || echo "could not install chromium: the browser check will be skipped"

# Local PySpark for the Spark stage's test (deploy/spark/): Debian's Java, pyspark in .spark-venv/.
spark:
	@command -v java >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null) || echo "could not install Java: the Spark test will be skipped"
	@[ -x .spark-venv/bin/python ] || ($(PYTHON) -m venv .spark-venv && .spark-venv/bin/pip install --quiet pyspark==3.5.5) || (rm -rf .spark-venv; echo "could not install pyspark: the Spark test will be skipped")

# DuckDB reads the report's Parquet tables back in the tests (PyPI wheel, in .tools-venv/).
tools:
	@[ -x .tools-venv/bin/python ] || ($(PYTHON) -m venv .tools-venv && .tools-venv/bin/pip install --quiet duckdb==1.4.4) || (rm -rf .tools-venv; echo "could not install duckdb: the Parquet read-back by DuckDB will be skipped")

clean-ort:
	rm -rf $(ORT_DIR)
