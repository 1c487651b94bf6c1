# automl: AutoML inside PostgreSQL (PGXS build)

EXTENSION = automl
MODULE_big = automl
DATA = $(wildcard sql/automl--*.sql)

# Pure C: numeric kernels, search, serialization (no PostgreSQL headers).
PURE_OBJS = src/core_common.o src/rng.o src/buf.o src/json.o src/dataset.o \
	src/prep.o src/kernels.o src/model_registry.o src/model.o src/serialize.o \
	src/linear.o src/metrics.o src/cv.o src/options.o src/search.o src/search_space.o \
	src/ensemble.o src/describe.o src/diagnose.o src/diagnostics.o src/shapley.o \
	src/report.o src/report_svg.o src/pool.o

# The SQL-facing layer.
PG_OBJS = src/automl.o src/core_pg.o src/convert.o src/load_spi.o src/catalog.o \
	src/model_cache.o src/privileges.o src/audit.o src/api_train.o src/api_predict.o \
	src/api_admin.o src/api_transfer.o src/rowmap.o src/api_batch.o src/plan_support.o \
	src/jobs.o src/job_dispatch.o src/job_worker.o src/api_insight.o src/api_report.o

# Tree families (src/tree*.c and friends) are listed here as they land.
TREE_OBJS = src/tree_bins.o src/tree_data.o src/tree_hist.o src/tree_split.o \
	src/tree_grow.o src/tree_model.o src/tree_predict.o src/tree_io.o src/tree_shap.o \
	src/tree_cart.o src/forest.o src/gbm.o src/gbm_loss.o

# Other families (kNN, naive Bayes, ...) are listed here as they land.
OTHER_FAMILY_OBJS = src/knn.o src/naive_bayes.o src/mlp.o src/kernel.o

PURE_OBJS += $(TREE_OBJS) $(OTHER_FAMILY_OBJS)
OBJS = $(PURE_OBJS) $(PG_OBJS)

REGRESS = setup basics trees kernel search errors bad_input governance serving insight report jobs cancel security privileges
REGRESS_OPTS = --inputdir=. --load-extension=automl
ISOLATION = train-race train-rights deploy-race deploy-visibility predict-drop drop-job scoring-xact
ISOLATION_OPTS = --load-extension=automl

PG_CFLAGS = -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
	-Wno-sign-compare -Werror=implicit-function-declaration
SHLIB_LINK = -llapacke -lopenblas -lm

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Rebuild objects when a header changes (PGXS tracks no header dependencies).
$(OBJS): $(wildcard src/*.h)

# Kernel unit tests: each test/unit/test_*.c linked with the pure sources
# (no server).  UNIT_CFLAGS adds e.g. -fsanitize=address,undefined.
UNIT_CFLAGS ?= -O2
UNIT_SRCS = $(PURE_OBJS:.o=.c) test/unit/core_std.c
UNIT_TESTS = $(patsubst test/unit/%.c,test/unit/bin/%,$(wildcard test/unit/test_*.c))

test/unit/bin/%: test/unit/%.c $(UNIT_SRCS) $(wildcard src/*.h) test/unit/unit.h
	@mkdir -p test/unit/bin
	$(CC) -std=gnu11 -g $(UNIT_CFLAGS) -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare \
		-Wno-missing-field-initializers -Isrc -Itest/unit -o $@ $< $(UNIT_SRCS) \
		-llapacke -lopenblas -lm -lpthread

.PHONY: unit
unit: $(UNIT_TESTS)
	@for t in $(UNIT_TESTS); do OPENBLAS_NUM_THREADS=1 $$t || exit 1; done

EXTRA_CLEAN = test/unit/bin

# For scripts that build the pure sources themselves (fuzzers): make -s print-PURE_OBJS
print-%:
	@echo $($*)
