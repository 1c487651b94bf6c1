# automl: AutoML inside PostgreSQL (PGXS build)

EXTENSION = automl
MODULE_big = automl
DATA = $(wildcard sql/automl--*.sql)

# Pure C: numeric kernels, search, serialization (no PostgreSQL headers).
PURE_OBJS = src/core_common.o src/rng.o src/buf.o src/json.o src/dataset.o \
	src/prep.o src/kernels.o src/model_registry.o src/model.o src/serialize.o \
	src/linear.o src/metrics.o src/cv.o src/options.o src/search.o

# The SQL-facing layer.
PG_OBJS = src/automl.o src/core_pg.o src/convert.o src/load_spi.o src/catalog.o \
	src/model_cache.o src/api_train.o src/api_predict.o src/api_admin.o

OBJS = $(PURE_OBJS) $(PG_OBJS)

REGRESS = setup basics errors cancel
REGRESS_OPTS = --inputdir=. --load-extension=automl

PG_CFLAGS = -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
	-Wno-sign-compare -Werror=implicit-function-declaration
SHLIB_LINK = -llapacke -lopenblas -lm

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Kernel unit tests: the pure objects linked without a server.
UNIT_SRCS = $(PURE_OBJS:.o=.c) test/unit/core_std.c
.PHONY: unit
unit:
	mkdir -p test/unit/bin
	$(CC) -std=gnu11 -O2 -g -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare \
		-Isrc -o test/unit/bin/unit_tests test/unit/unit_tests.c $(UNIT_SRCS) \
		-llapacke -lopenblas -lm
	test/unit/bin/unit_tests
