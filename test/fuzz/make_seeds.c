/*
 * make_seeds.c
 *	  Seed corpus for the fuzz targets: real models of every registered
 *	  family (and ensembles) fitted on small bundled data sets and
 *	  serialized, valid train() options, and JSON documents.
 *
 *	  usage: make_seeds DATA_DIR OUT_DIR
 *
 * DATA_DIR is test/data (CSV files, manifest.tsv, schema.tsv).  Writes
 * the directories model/ (<data>-<family>.amlm), options/ and json/ under
 * OUT_DIR.  Every seed is checked: models must deserialize again and
 * options must parse.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "fuzz.h"
#include "json.h"
#include "model.h"
#include "options.h"
#include "search.h"
#include "tree.h"

#define MAX_ROWS 120			/* rows kept per data set: small seeds */
#define MAX_LEVELS 8			/* levels kept per category, the rest "other" */
#define MAX_FIELDS 128

static const char *out_dir;
static int	n_written = 0;

/* ---------- files ---------- */

static void
die(const char *what, const char *detail)
{
	fprintf(stderr, "make_seeds: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	exit(1);
}

static char *
read_text(const char *dir, const char *name)
{
	char		path[1024];
	FILE	   *f;
	long		n;
	char	   *text;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "rb")) == NULL)
		die("cannot open", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	text = am_alloc((size_t) n + 1);
	if (fread(text, 1, (size_t) n, f) != (size_t) n)
		die("cannot read", path);
	text[n] = '\0';
	fclose(f);
	return text;
}

static void
write_seed(const char *sub, const char *name, const void *data, size_t len)
{
	char		path[1024];
	FILE	   *f;

	snprintf(path, sizeof(path), "%s/%s", out_dir, sub);
	if (mkdir(path, 0777) != 0 && errno != EEXIST)
		die("cannot create", path);
	snprintf(path, sizeof(path), "%s/%s/%s", out_dir, sub, name);
	if ((f = fopen(path, "wb")) == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		die("cannot write", path);
	n_written++;
}

/* ---------- CSV and the data set tables ---------- */

/* One CSV record split in place; NULL for an empty unquoted field. */
static int
csv_record(char **cursor, char **fields)
{
	char	   *p = *cursor;
	int			n = 0;

	if (*p == '\0')
		return 0;
	for (;;)
	{
		char	   *start = p,
				   *w = p;
		bool		quoted = (*p == '"');

		if (quoted)
		{
			p++;
			while (*p && !(*p == '"' && p[1] != '"'))
			{
				if (*p == '"')
					p++;
				*w++ = *p++;
			}
			if (*p == '"')
				p++;
		}
		else
		{
			while (*p && *p != ',' && *p != '\n' && *p != '\r')
				w++, p++;
		}
		if (n == MAX_FIELDS)
			die("too many CSV fields", NULL);
		fields[n++] = (!quoted && w == start) ? NULL : start;
		if (*p == ',')
		{
			*w = '\0';
			p++;
			continue;
		}
		while (*p == '\r' || *p == '\n')
			*p++ = '\0';
		*w = '\0';
		break;
	}
	*cursor = p;
	return n;
}

/*
 * The field of a tab-separated table row whose first fields are "key" (and
 * "key2"), in a static buffer; NULL when there is no such row.
 */
static const char *
tsv_lookup(const char *table, const char *key, const char *key2, int field)
{
	static char value[256];
	const char *line = table;

	while (*line)
	{
		const char *end = strchr(line, '\n');
		size_t		len = end ? (size_t) (end - line) : strlen(line);
		char		buf[1024];
		char	   *cols[32];
		int			n = 0;
		char	   *p;

		snprintf(buf, sizeof(buf), "%.*s", (int) len, line);
		for (p = buf; n < 32; n++)
		{
			cols[n] = p;
			if ((p = strchr(p, '\t')) == NULL)
			{
				n++;
				break;
			}
			*p++ = '\0';
		}
		if (n > field && strcmp(cols[0], key) == 0 &&
			(key2 == NULL || strcmp(cols[1], key2) == 0))
		{
			snprintf(value, sizeof(value), "%s", cols[field]);
			return value;
		}
		line += len + (end ? 1 : 0);
	}
	return NULL;
}

/* ---------- data set -> AmDataset + AmSchema ---------- */

typedef struct Loaded
{
	const char *name;
	AmDataset  *data;
	AmSchema   *schema;
} Loaded;

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Distinct non-NULL values of a column, sorted, the most frequent "keep". */
static char **
levels_of(char ***cells, int n, int col, int keep, int *n_levels)
{
	char	  **all = AM_NEW(char *, n);
	char	  **distinct = AM_NEW(char *, n);
	int		   *count = AM_NEW0(int, n);
	int			m = 0,
				d = 0;

	for (int i = 0; i < n; i++)
		if (cells[i][col] != NULL)
			all[m++] = cells[i][col];
	qsort(all, m, sizeof(char *), cmp_str);
	for (int i = 0; i < m; i++)
	{
		if (d == 0 || strcmp(distinct[d - 1], all[i]) != 0)
			distinct[d++] = all[i];
		count[d - 1]++;
	}
	/* drop the rarest until "keep" remain, then the order is strcmp's again */
	while (d > keep)
	{
		int			rare = 0;

		for (int k = 1; k < d; k++)
			if (count[k] < count[rare])
				rare = k;
		memmove(distinct + rare, distinct + rare + 1, sizeof(char *) * (d - rare - 1));
		memmove(count + rare, count + rare + 1, sizeof(int) * (d - rare - 1));
		d--;
	}
	*n_levels = d;
	return distinct;
}

static int
code_of(char **levels, int n_levels, const char *v)
{
	for (int k = 0; k < n_levels; k++)
		if (strcmp(levels[k], v) == 0)
			return k;
	return n_levels;
}

static Loaded
load(const char *dir, const char *name)
{
	char	   *manifest = read_text(dir, "manifest.tsv");
	char	   *roles = read_text(dir, "schema.tsv");
	const char *task = tsv_lookup(manifest, name, NULL, 2);
	char	   *task_name = task ? am_strdup(task) : NULL;
	char		file[256];
	char	   *text,
			   *cursor;
	char	   *header[MAX_FIELDS];
	char	   *fields[MAX_FIELDS];
	char	 ***cells;
	int			n_cols,
				n_all = 0,
				n,
				step,
				target = -1,
				nf = 0;
	AmDataset  *d = AM_NEW0(AmDataset, 1);
	AmSchema   *s = AM_NEW0(AmSchema, 1);
	Loaded		l;

	if (task_name == NULL)
		die("not in manifest.tsv", name);
	snprintf(file, sizeof(file), "%s.csv", name);
	text = read_text(dir, file);
	cursor = text;
	n_cols = csv_record(&cursor, header);
	cells = AM_NEW(char **, strlen(cursor) / 2 + 1);
	while ((n = csv_record(&cursor, fields)) > 0)
	{
		if (n != n_cols)
			die("ragged CSV", file);
		cells[n_all] = AM_NEW(char *, n_cols);
		memcpy(cells[n_all++], fields, sizeof(char *) * n_cols);
	}
	/* every step-th row: small, and every class of a sorted file */
	step = (n_all + MAX_ROWS - 1) / MAX_ROWS;
	n = 0;
	for (int i = 0; i < n_all; i += step)
		cells[n++] = cells[i];

	d->n_rows = n;
	d->x = AM_NEW0(double *, n_cols);
	d->categorical = AM_NEW0(bool, n_cols);
	d->n_codes = AM_NEW0(int, n_cols);
	d->y = AM_NEW0(double, n);
	s->columns = AM_NEW0(AmSourceColumn, n_cols);
	s->features = AM_NEW0(AmFeature, n_cols);
	for (int c = 0; c < n_cols; c++)
	{
		const char *role = tsv_lookup(roles, name, header[c], 2);
		AmSourceColumn *sc;
		AmFeature  *f;

		if (role == NULL)
			die("column missing from schema.tsv", header[c]);
		if (strcmp(role, "target") == 0)
		{
			target = c;
			continue;
		}
		sc = &s->columns[s->n_columns];
		f = &s->features[nf];
		sc->name = am_strdup(header[c]);
		sc->kind = strcmp(role, "categorical") == 0 ? AM_SRC_CATEGORICAL : AM_SRC_NUMERIC;
		sc->type_name = sc->kind == AM_SRC_CATEGORICAL ? "text" : "double precision";
		f->name = sc->name;
		f->source = s->n_columns++;
		f->part = AM_PART_VALUE;
		f->categorical = (sc->kind == AM_SRC_CATEGORICAL);
		d->x[nf] = AM_NEW(double, n);
		if (f->categorical)
		{
			f->levels = levels_of(cells, n, c, MAX_LEVELS, &f->n_levels);
			d->categorical[nf] = true;
			d->n_codes[nf] = f->n_levels + 1;
		}
		for (int i = 0; i < n; i++)
		{
			const char *v = cells[i][c];

			d->x[nf][i] = v == NULL ? NAN :
				f->categorical ? code_of(f->levels, f->n_levels, v) : strtod(v, NULL);
		}
		nf++;
	}
	if (target < 0)
		die("no target column", name);
	d->n_features = s->n_features = nf;
	s->target = am_strdup(header[target]);
	s->target_type = "text";
	if (strcmp(task_name, "regression") == 0)
	{
		s->task = AM_TASK_REGRESSION;
		s->target_kind = AM_SRC_NUMERIC;
		for (int i = 0; i < n; i++)
			d->y[i] = strtod(cells[i][target], NULL);
	}
	else
	{
		s->target_kind = AM_SRC_CATEGORICAL;
		s->classes = levels_of(cells, n, target, n, &s->n_classes);
		s->task = s->n_classes == 2 ? AM_TASK_BINARY : AM_TASK_MULTICLASS;
		for (int i = 0; i < n; i++)
			d->y[i] = code_of(s->classes, s->n_classes, cells[i][target]);
	}
	d->task = s->task;
	d->n_classes = s->n_classes;
	l.name = name;
	l.data = d;
	l.schema = s;
	return l;
}

/* ---------- models ---------- */

/* Small models: a few shallow trees, a tiny network. */
static void
seed_params(const char *family, int variant, AmParams *p)
{
	memset(p, 0, sizeof(*p));
	if (strcmp(family, "tree") == 0)
		am_params_set(p, "max_depth", 4);
	else if (strcmp(family, "forest") == 0 || strcmp(family, "extra_trees") == 0)
	{
		am_params_set(p, "n_estimators", 3);
		am_params_set(p, "max_depth", 3);
	}
	else if (strcmp(family, "gbm") == 0)
	{
		am_params_set(p, "n_estimators", 4);
		am_params_set(p, "max_depth", 3);
	}
	else if (strcmp(family, "knn") == 0)
	{
		am_params_set(p, "n_neighbors", 3);
		am_params_set(p, "weights", variant % 2);
		am_params_set(p, "max_samples", 24);
	}
	else if (strcmp(family, "mlp") == 0)
	{
		am_params_set(p, "hidden_units", 4);
		am_params_set(p, "hidden_layers", 1 + variant % 2);
		am_params_set(p, "max_iter", 10);
	}
}

static void
save_model(const char *data_name, const char *family, const AmModel *m)
{
	AmWriter	w;
	AmErr		err;
	char		name[256];

	am_w_init(&w);
	am_model_serialize(m, &w);
	am_err_clear(&err);
	if (am_model_deserialize(w.data, w.len, &err) == NULL)
		die("a fitted model does not deserialize", err.msg);
	snprintf(name, sizeof(name), "%s-%s.amlm", data_name, family);
	write_seed("model", name, w.data, w.len);
}

static AmModel *
fit_with(const Loaded *l, const char *family, const AmParams *params)
{
	const AmFamily *f = am_family_lookup(family);
	AmParams	p = *params;
	AmErr		err;
	AmModel    *m;

	if (f == NULL)
		die("family is not registered", family);
	am_err_clear(&err);
	if (!am_family_check_params(f, &p, l->data->task, &err))
		die("seed hyperparameters are invalid", err.msg);
	m = am_model_fit(l->data, l->schema, f, &p, NULL, l->data->n_rows, NULL, NULL, 42, &err);
	if (m == NULL)
		die("fit failed", err.msg);
	return m;
}

static AmModel *
fit(const Loaded *l, const char *family, int variant)
{
	AmParams	p;

	seed_params(family, variant, &p);
	return fit_with(l, family, &p);
}

/* ---------- tree seeds the fuzzer must start from ---------- */

static bool
is_tree_family(const char *family)
{
	return strcmp(family, "tree") == 0 || strcmp(family, "forest") == 0 ||
		strcmp(family, "extra_trees") == 0 || strcmp(family, "gbm") == 0;
}

/* What a seed must hold (die otherwise): the decoders' branches to reach. */
#define NEED_CATEGORICAL 0x1	/* a categorical split (bin sets, code maps) */
#define NEED_MISSING 0x2		/* trained on missing values */
#define NEED_DEPTH5 0x4			/* a tree deeper than 4 */
#define NEED_MULTI_OUTPUT 0x8	/* trees on several outputs (multiclass gbm) */

static void
check_tree_seed(const char *name, const Loaded *l, const AmModel *m, AmTask task, int need)
{
	const TreeEnsemble *e = m->fitted;
	int			n_cat = 0,
				n_missing = 0,
				max_output = 0;

	if (!is_tree_family(m->family->name) || m->schema->task != task)
		die("tree seed has the wrong family or task", name);
	for (int i = 0; i < e->n_nodes; i++)
		if ((e->nodes[i].flags & (TREE_LEAF | TREE_CATEGORICAL)) == TREE_CATEGORICAL)
			n_cat++;
	for (int j = 0; j < l->data->n_features; j++)
		for (int i = 0; i < l->data->n_rows; i++)
			n_missing += isnan(l->data->x[j][i]) ? 1 : 0;
	for (int t = 0; t < e->n_trees; t++)
		if (e->tree_output[t] > max_output)
			max_output = e->tree_output[t];
	if (((need & NEED_CATEGORICAL) && n_cat == 0) ||
		((need & NEED_MISSING) && n_missing == 0) ||
		((need & NEED_DEPTH5) && e->max_depth < 5) ||
		((need & NEED_MULTI_OUTPUT) && max_output < 2))
		die("tree seed lacks the structure it is there for", name);
}

/*
 * Every n-th value of a numeric and of a categorical feature set missing,
 * on a copy: the tree families learn missing directions and bins from it.
 */
static Loaded
with_missing(const Loaded *l, int every)
{
	Loaded		c = *l;
	AmDataset  *d = AM_NEW(AmDataset, 1);
	bool		done_num = false,
				done_cat = false;

	*d = *l->data;
	d->x = AM_NEW(double *, d->n_features);
	for (int j = 0; j < d->n_features; j++)
	{
		bool		hit = d->categorical[j] ? !done_cat : !done_num;

		d->x[j] = AM_NEW(double, d->n_rows);
		memcpy(d->x[j], l->data->x[j], sizeof(double) * d->n_rows);
		if (!hit)
			continue;
		for (int i = j % every; i < d->n_rows; i += every)
			d->x[j][i] = NAN;
		if (d->categorical[j])
			done_cat = true;
		else
			done_num = true;
	}
	c.data = d;
	return c;
}

/*
 * Beyond the one model per family: the tree families' decoders (tree_io.c)
 * from models that hold what they check: categorical bin sets and code
 * maps, missing directions, several outputs, deep and best-first trees.
 */
static void
seed_tree_variants(const Loaded *l)
{
	AmParams	p;
	AmModel    *m;

	memset(&p, 0, sizeof(p));
	if (strcmp(l->name, "penguins") == 0)
	{
		/* gbm multiclass: categorical features and missing values */
		Loaded		miss = with_missing(l, 5);

		am_params_set(&p, "n_estimators", 3);
		am_params_set(&p, "max_depth", 4);
		am_params_set(&p, "cat_smooth", 1);
		m = fit_with(&miss, "gbm", &p);
		check_tree_seed("penguins-gbm-missing", &miss, m, AM_TASK_MULTICLASS,
						NEED_CATEGORICAL | NEED_MISSING | NEED_MULTI_OUTPUT);
		save_model(l->name, "gbm-missing", m);
	}
	else if (strcmp(l->name, "ozone") == 0)
	{
		/* forest regression on categorical features and missing values */
		am_params_set(&p, "n_estimators", 3);
		am_params_set(&p, "max_depth", 5);
		m = fit_with(l, "forest", &p);
		check_tree_seed("ozone-forest-regression", l, m, AM_TASK_REGRESSION,
						NEED_CATEGORICAL | NEED_MISSING | NEED_DEPTH5);
		save_model(l->name, "forest-regression", m);
		/* best-first gbm (max_leaves), depth unlimited */
		memset(&p, 0, sizeof(p));
		am_params_set(&p, "n_estimators", 3);
		am_params_set(&p, "max_depth", 0);
		am_params_set(&p, "max_leaves", 6);
		m = fit_with(l, "gbm", &p);
		check_tree_seed("ozone-gbm-leaves", l, m, AM_TASK_REGRESSION, 0);
		save_model(l->name, "gbm-leaves", m);
	}
	else if (strcmp(l->name, "breast_cancer") == 0)
	{
		/* one unlimited-depth tree: deep paths for TreeSHAP and the walk */
		am_params_set(&p, "max_depth", 0);
		m = fit_with(l, "tree", &p);
		check_tree_seed("breast_cancer-tree-deep", l, m, AM_TASK_BINARY, NEED_DEPTH5);
		save_model(l->name, "tree-deep", m);
	}
}

/* Tree family seeds per task (regression, binary, multiclass). */
static int	n_tree_seeds[3];

/* One model of every family that supports the task, and an ensemble. */
static void
seed_models(const Loaded *l, int variant)
{
	AmModel    *members[4];
	static const double weights[4] = {0.4, 0.3, 0.2, 0.1};
	static const char *const mix[4] = {"linear", "gbm", "forest", "knn"};

	for (int i = 0; i < am_family_count(); i++)
	{
		const AmFamily *f = am_family_at(i);

		if (f->internal || !(f->tasks & (1u << l->data->task)))
			continue;
		save_model(l->name, f->name, fit(l, f->name, variant));
		if (is_tree_family(f->name))
			n_tree_seeds[l->data->task]++;
	}
	seed_tree_variants(l);
	for (int k = 0; k < 4; k++)
		members[k] = fit(l, mix[k], variant);
	save_model(l->name, "ensemble", am_ensemble_model(l->schema, members, weights, 4));
}

/* ---------- options and JSON ---------- */

static const char *const option_seeds[] = {
	"{\"seed\":0,\"cv_folds\":5,\"hyperparameters\":{\"gbm\":{\"max_depth\":[2,6]}}}",
	"{\"seed\": 42, \"cv_folds\": 5}",
	"{\"hyperparameters\": {\"linear\": {\"alpha\": [0.01, 0.1]}}}",
	"{\"seed\": 7, \"cv_folds\": 3, \"hyperparameters\": {\"linear\": {\"alpha\": [0.1, 1], "
	"\"max_iter\": {\"min\": 10, \"max\": 50}}}}",
	"{\"cv_folds\": 0, \"ensemble\": false}",
	"{\"cv_folds\": 10, \"cv_repeats\": 3, "
	"\"hyperparameters\": {\"forest\": {\"max_cat_to_onehot\": 0}}}",
	"{\"validation\": \"holdout\", \"holdout_fraction\": 0.25, \"max_categories\": 20, "
	"\"ensemble_size\": 10, \"early_stopping\": false, \"class_weight\": \"balanced\", "
	"\"resume\": true, \"exclude_algorithms\": [\"knn\", \"mlp\"]}",
	"{\"validation\": \"cv\", \"class_weight\": \"none\", \"refit\": \"folds\", "
	"\"exclude_algorithms\": []}",
	"{\"refit\": \"all_rows\"}",
	"{\"validation\": \"auto\", \"hyperparameters\": {\"knn\": {\"weights\": \"uniform\"}, "
	"\"tree\": {\"class_weight\": \"balanced\"}, \"mlp\": {\"alpha\": {\"min\": 1e-6}}}}",
	"{}",
	"",
};

/* Per family: every hyperparameter as a value, a list or a range in turn. */
static void
family_option_seed(const AmFamily *f, AmStr *s)
{
	am_str_append(s, "{\"hyperparameters\": {");
	am_str_json_string(s, f->name);
	am_str_append(s, ": {");
	for (int i = 0; i < f->n_params; i++)
	{
		const AmParamSpec *ps = &f->params[i];

		if (i > 0)
			am_str_append(s, ", ");
		am_str_json_string(s, ps->name);
		am_str_append(s, ": ");
		if (ps->choices)
			am_str_json_string(s, ps->choices[1] && i % 2 ? ps->choices[1] : ps->choices[0]);
		else if (i % 3 == 0)
			am_str_json_number(s, ps->def);
		else if (i % 3 == 1)
		{
			am_str_append(s, "[");
			am_str_json_number(s, ps->search_lo);
			am_str_append(s, ", ");
			am_str_json_number(s, ps->search_hi);
			am_str_append(s, "]");
		}
		else
		{
			am_str_append(s, "{\"min\": ");
			am_str_json_number(s, ps->search_lo);
			am_str_append(s, ", \"max\": ");
			am_str_json_number(s, ps->search_hi);
			am_str_append(s, "}");
		}
	}
	am_str_append(s, "}}}");
}

static void
check_options(const char *json, size_t len)
{
	AmTrainOptions o;
	AmErr		err;

	am_err_clear(&err);
	if (!am_options_parse(json, len, &o, &err))
	{
		fprintf(stderr, "make_seeds: option seed %.*s: %s\n", (int) len, json, err.msg);
		exit(1);
	}
}

static const char *const json_seeds[] = {
	"[\"a\", 1, -0.5e-3, 1E+2, true, false, null, {\"k\": [[]]}, {}]",
	"\"\\u00e9\\ud83d\\ude00\\n\\t\\\"\\\\\\/\\b\\f\\r caf\xc3\xa9\"",
	"{\"nested\": {\"a\": {\"b\": {\"c\": [1, [2, [3, {\"d\": null}]]]}}}}",
	" \t\r\n-0 ",
	"123456789012345678901234567890",
	"{\"x\": 1.7976931348623157e308, \"y\": 5e-324, \"z\": -2.5E-3}",
};

static void
seed_options_and_json(void)
{
	char		name[64];
	int			n = 0;

	for (size_t i = 0; i < sizeof(option_seeds) / sizeof(option_seeds[0]); i++, n++)
	{
		size_t		len = strlen(option_seeds[i]);

		check_options(option_seeds[i], len);
		snprintf(name, sizeof(name), "options-%02d.json", n);
		write_seed("options", name, option_seeds[i], len);
		if (len > 0)
			write_seed("json", name, option_seeds[i], len);
	}
	for (int i = 0; i < am_family_count(); i++)
	{
		const AmFamily *f = am_family_at(i);
		AmStr		s;

		if (f->internal)
			continue;
		am_str_init(&s);
		family_option_seed(f, &s);
		check_options(s.data, s.len);
		snprintf(name, sizeof(name), "options-%s.json", f->name);
		write_seed("options", name, s.data, s.len);
	}
	for (size_t i = 0; i < sizeof(json_seeds) / sizeof(json_seeds[0]); i++)
	{
		AmErr		err;

		if (am_json_parse(json_seeds[i], strlen(json_seeds[i]), &err) == NULL)
			die("a JSON seed does not parse", err.msg);
		snprintf(name, sizeof(name), "json-%02d.json", (int) i);
		write_seed("json", name, json_seeds[i], strlen(json_seeds[i]));
	}
}

int
main(int argc, char **argv)
{
	static const char *const data_sets[] = {
		"iris", "breast_cancer", "diabetes", "penguins", "ozone", "house_votes84"
	};

	if (argc != 3)
	{
		fprintf(stderr, "usage: make_seeds DATA_DIR OUT_DIR\n");
		return 2;
	}
	out_dir = argv[2];
	if (mkdir(out_dir, 0777) != 0 && errno != EEXIST)
		die("cannot create", out_dir);
	for (size_t i = 0; i < sizeof(data_sets) / sizeof(data_sets[0]); i++)
	{
		Loaded		l = load(argv[1], data_sets[i]);

		seed_models(&l, (int) i);
	}
	/* the four tree families on every task */
	for (int t = 0; t < 3; t++)
		if (n_tree_seeds[t] < 4)
			die("a task has no seed of some tree family", NULL);
	seed_options_and_json();
	fuzz_arena_release();
	printf("make_seeds: %d seeds in %s\n", n_written, out_dir);
	return 0;
}
