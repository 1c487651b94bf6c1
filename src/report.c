/*
 * report.c
 *	  The model report behind automl.report(): one self-contained HTML
 *	  document (inline CSS and SVG, no script, no external URL) rendered from
 *	  the JSON document the SQL layer gathers about a model version.
 *
 * Sections, in order: summary (the model card), leaderboard, progress,
 * performance, importance, profile and warnings.  Any field may be missing,
 * null or of another type: what is there is shown and the rest reads "not
 * available"; degenerate data (no points, one point, equal values, zero
 * counts) gets a placeholder instead of a chart.  Every list, table, chart
 * and string is capped (the MAX_ and LEN_ limits below), so the size of
 * the document is bounded whatever the input.  The chart and text building
 * blocks are in report_svg.c.
 */
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Items read from the input at most, and shown at most. */
#define MAX_READ 200000
#define MAX_LEADERBOARD 20
#define MAX_LEGEND 12
#define MAX_CURVE_POINTS 400
#define MAX_SCATTER_POINTS 500
#define MAX_PROGRESS_POINTS 500
#define MAX_HIST_BINS 60
#define MAX_SPARK_BINS 30
#define MAX_SPARK_TOP 10
#define MAX_CLASSES 50
#define MAX_CONFUSION 20
#define MAX_CALIBRATION 50
#define MAX_IMPORTANCE 25
#define MAX_PROFILE 150
#define MAX_WARNINGS 100
#define MAX_MEMBERS 20
#define MAX_METRICS 20
#define MAX_KV_ENTRIES 150		/* entries of one nested definition list */
#define MAX_KV_DEPTH 3
#define MAX_KV_MEMBERS 40		/* members shown per object */

/* Characters shown at most. */
#define LEN_NAME 80
#define LEN_VALUE 160
#define LEN_SHORT 40
#define LEN_LABEL 28
#define LEN_SOURCE 4000
#define LEN_INLINE 240
#define LEN_WARNING 500

/* Chart geometry, in SVG units. */
#define CHART_W 500
#define CHART_H 340
#define WIDE_W 1040

#define COLOUR_MAIN "#4e79a7"
#define COLOUR_ALT "#f28e2b"
#define COLOUR_GOOD "#59a14f"
#define COLOUR_REF "#9aa5b1"
#define COLOUR_INK "#323f4b"
#define COLOUR_MUTED "#7b8794"
#define COLOUR_BEST "#1f2933"

#define NOT_AVAILABLE "<span class=\"na\">not available</span>"

typedef enum ReportTask
{
	TASK_UNKNOWN = 0,
	TASK_BINARY,
	TASK_MULTICLASS,
	TASK_CLASSIFICATION,		/* classification, number of classes unknown */
	TASK_REGRESSION
} ReportTask;

typedef struct Report
{
	AmStr		out;
	const AmJson *doc;
	const AmJson *model;		/* doc.model, or NULL */
	const AmJson *validation;	/* model.metrics.validation, or NULL */
	const char *metric;			/* name of the score's metric, or NULL */
	bool		lower_better;
	ReportTask	task;
	int			kv_left;		/* entries the current nested list may show */
} Report;

/* One trial of the search as read from doc.trials. */
typedef struct Trial
{
	double		number;
	const char *algorithm;
	const char *status;
	double		score;			/* NaN when missing */
	double		std;
	double		fit;
	double		elapsed;
	const AmJson *hyper;
	double		key;			/* sort key: smaller is better */
	int			order;			/* position in the input */
} Trial;

/* A point of a chart; w: a weight (calibration rows), or 1/0 for included/not. */
typedef struct XY
{
	double		x;
	double		y;
	double		w;
	int			order;			/* position in the input, to keep sorts stable */
} XY;

typedef struct Importance
{
	const char *feature;
	double		value;
	int			order;
} Importance;

static const char report_css[] =
":root{color-scheme:light}"
"*{box-sizing:border-box}"
"body{margin:0;background:#f4f5f7;color:#1f2933;"
"font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}"
"main{max-width:1120px;margin:0 auto;padding:20px 20px 32px}"
"header.top{padding:6px 2px 4px}"
".eyebrow{margin:0;color:#7b8794;font-size:12px;letter-spacing:.06em;text-transform:uppercase}"
"h1{font-size:26px;margin:2px 0 4px;font-weight:650;word-break:break-word}"
"h1 .ver{color:#7b8794;font-weight:400;font-size:20px}"
".sub{margin:0;color:#52606d}"
".kpis{display:flex;flex-wrap:wrap;gap:10px;margin:14px 0 0}"
".kpi{background:#fff;border:1px solid #e1e5ea;border-radius:8px;padding:9px 14px;min-width:130px;flex:1 1 130px}"
".kpi>span{display:block;color:#7b8794;font-size:11.5px;letter-spacing:.04em;text-transform:uppercase}"
".kpi b{display:block;font-size:19px;font-weight:600;margin-top:2px;word-break:break-word}"
".kpi .na{font-size:14px;font-weight:400}"
"section{background:#fff;border:1px solid #e1e5ea;border-radius:10px;padding:16px 22px 18px;margin:16px 0}"
"h2{font-size:18px;margin:0 0 12px;padding-bottom:8px;border-bottom:1px solid #e9ecef}"
"h3{font-size:14.5px;margin:18px 0 8px;color:#323f4b}"
".cards{display:flex;flex-wrap:wrap;gap:6px 40px;align-items:flex-start}"
".cards dl.card{flex:1 1 400px}"
"dl.card{display:grid;grid-template-columns:minmax(150px,max-content) 1fr;gap:6px 20px;margin:0}"
"dl.card dt{color:#616e7c}"
"dl.card dd{margin:0;min-width:0;word-break:break-word}"
"dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0;font-size:13px}"
"dl.kv dt{color:#616e7c}"
"dl.kv dd{margin:0;min-width:0;word-break:break-word}"
"dl.kv dl.kv{padding-left:10px;border-left:2px solid #e9ecef}"
".na{color:#9aa5b1;font-style:italic}"
".note{color:#616e7c;font-size:12.5px;margin:8px 0 0}"
"table{border-collapse:collapse;width:100%;font-size:13px}"
"th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eef0f3;vertical-align:middle}"
"th{color:#52606d;font-weight:600;background:#f8f9fb;white-space:nowrap}"
".num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
"td.hp{color:#52606d;font-size:12px;word-break:break-word;min-width:220px}"
".alg{white-space:nowrap}"
".kind{display:block;font-size:11.5px;color:#7b8794}"
".scroll{overflow-x:auto}"
".charts{display:flex;flex-wrap:wrap;gap:18px}"
"figure{margin:0;flex:1 1 460px;min-width:0}"
"figure.wide{flex-basis:100%}"
"figcaption{font-weight:600;font-size:13.5px;margin:0 0 6px;color:#323f4b}"
"figcaption small{font-weight:400;color:#7b8794}"
"svg{max-width:100%;height:auto;display:block}"
"td svg{display:inline-block;vertical-align:middle}"
"pre{background:#f6f8fa;border:1px solid #e1e5ea;border-radius:6px;padding:8px 10px;margin:0;"
"white-space:pre-wrap;word-break:break-word;max-height:320px;overflow:auto;"
"font:12px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}"
"code{font:12.5px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;word-break:break-word}"
".badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;"
"background:#e9ecef;color:#323f4b;white-space:nowrap}"
".b-good{background:#dcf5e3;color:#1d6b35}"
".b-warn{background:#fff1c2;color:#7a5600}"
".b-bad{background:#fde2e2;color:#9b1c1c}"
".b-info{background:#dde9fb;color:#1e4e8c}"
".b-muted{background:#f1f3f5;color:#7b8794}"
".sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}"
".legend{display:flex;flex-wrap:wrap;gap:4px 16px;font-size:12px;color:#52606d;margin:0 0 8px}"
".small{font-size:11.5px;color:#7b8794}"
".warn{color:#a65f00;font-weight:600}"
"ul.warnings{margin:0;padding-left:20px}"
"ul.warnings li{margin:4px 0}"
"ul.warnings li::marker{color:#d97706}"
"p.none{margin:0;color:#1d6b35}"
"footer{color:#9aa5b1;font-size:12px;text-align:center;margin-top:18px}"
"@media (max-width:640px){dl.card{grid-template-columns:1fr}main{padding:10px}}";

/* ---------------------------------------------------------------- JSON access */

static const AmJson *
member(const AmJson *obj, const char *key, AmJsonType type)
{
	const AmJson *v = am_json_get(obj, key);

	return v != NULL && v->type == type ? v : NULL;
}

static const char *
str_member(const AmJson *obj, const char *key)
{
	const AmJson *v = member(obj, key, AM_JSON_STRING);

	return v ? v->string : NULL;
}

static bool
num_member(const AmJson *obj, const char *key, double *out)
{
	const AmJson *v = member(obj, key, AM_JSON_NUMBER);

	if (v == NULL || !isfinite(v->number))
		return false;
	*out = v->number;
	return true;
}

static double
num_or_nan(const AmJson *obj, const char *key)
{
	double		v;

	return num_member(obj, key, &v) ? v : NAN;
}

static bool
num_item(const AmJson *arr, int i, double *out)
{
	if (arr == NULL || arr->type != AM_JSON_ARRAY || i < 0 || i >= arr->n ||
		arr->items[i].type != AM_JSON_NUMBER || !isfinite(arr->items[i].number))
		return false;
	*out = arr->items[i].number;
	return true;
}

static int
items_to_read(const AmJson *arr)
{
	if (arr == NULL || arr->type != AM_JSON_ARRAY)
		return 0;
	return arr->n < MAX_READ ? arr->n : MAX_READ;
}

/* ---------------------------------------------------------------- output helpers */

static void
put(Report *r, const char *html)
{
	am_str_append(&r->out, html);
}

static void
put_text(Report *r, const char *text, size_t max_chars)
{
	am_html_text(&r->out, text, max_chars);
}

static void
put_num(Report *r, double v, int sig)
{
	char		buf[48];

	if (!isfinite(v))
		put(r, NOT_AVAILABLE);
	else
		put(r, am_fmt_num(buf, sizeof(buf), v, sig));
}

static void
put_score(Report *r, double v)
{
	char		buf[48];

	if (!isfinite(v))
		put(r, NOT_AVAILABLE);
	else
		put(r, am_fmt_score(buf, sizeof(buf), v));
}

static void
put_count(Report *r, double v)
{
	char		buf[48];

	if (!isfinite(v))
		put(r, NOT_AVAILABLE);
	else
		put(r, am_fmt_count(buf, sizeof(buf), v));
}

static void
put_percent(Report *r, double share)
{
	char		buf[48];

	if (!isfinite(share) || fabs(share) > 1e6)
	{
		put(r, NOT_AVAILABLE);
		return;
	}
	put(r, am_fmt_tick(buf, sizeof(buf), 100.0 * share, 0.1));
	put(r, "%");
}

/* A duration: "12.5 s", "3 min 12 s", "2 h 05 min". */
static void
put_seconds(Report *r, double sec)
{
	char		buf[64];

	if (!isfinite(sec) || sec < 0.0 || sec > 1e12)
	{
		put(r, NOT_AVAILABLE);
		return;
	}
	if (sec < 60.0)
	{
		put(r, am_fmt_num(buf, sizeof(buf), sec, 3));
		put(r, " s");
		return;
	}
	if (sec < 3600.0)
		snprintf(buf, sizeof(buf), "%d min %02d s", (int) (sec / 60.0),
				 (int) fmod(sec, 60.0));
	else
		snprintf(buf, sizeof(buf), "%.0f h %02d min", floor(sec / 3600.0),
				 (int) fmod(sec / 60.0, 60.0));
	put(r, buf);
}

/* A JSON scalar as text (strings escaped); false for arrays and objects. */
static bool
put_scalar(Report *r, const AmJson *v, size_t max_chars)
{
	switch (v->type)
	{
		case AM_JSON_NULL:
			put(r, "<span class=\"na\">null</span>");
			return true;
		case AM_JSON_BOOL:
			put(r, v->boolean ? "true" : "false");
			return true;
		case AM_JSON_NUMBER:
			put_num(r, v->number, 6);
			return true;
		case AM_JSON_STRING:
			put_text(r, v->string, max_chars);
			return true;
		default:
			return false;
	}
}

/*
 * Compact plain text of a JSON value ("alpha=0.001, max_iter=500"), at most
 * about max bytes; the caller escapes it.
 */
static void
inline_json(AmStr *plain, const AmJson *v, int depth, size_t max)
{
	char		buf[48];

	if (plain->len > max)
		return;
	switch (v->type)
	{
		case AM_JSON_NULL:
			am_str_append(plain, "null");
			break;
		case AM_JSON_BOOL:
			am_str_append(plain, v->boolean ? "true" : "false");
			break;
		case AM_JSON_NUMBER:
			am_str_append(plain, am_fmt_num(buf, sizeof(buf), v->number, 4));
			break;
		case AM_JSON_STRING:
			am_str_appendn(plain, v->string, strnlen(v->string, max + 1));
			break;
		case AM_JSON_ARRAY:
		case AM_JSON_OBJECT:
			if (depth > 0)
				am_str_append(plain, v->type == AM_JSON_ARRAY ? "[" : "{");
			for (int i = 0; i < v->n && plain->len <= max; i++)
			{
				if (i > 0)
					am_str_append(plain, ", ");
				if (v->type == AM_JSON_OBJECT)
				{
					am_str_appendn(plain, v->keys[i], strnlen(v->keys[i], LEN_SHORT));
					am_str_append(plain, "=");
				}
				if (depth >= MAX_KV_DEPTH)
					am_str_append(plain, AM_REPORT_ELLIPSIS);
				else
					inline_json(plain, &v->items[i], depth + 1, max);
			}
			if (depth > 0)
				am_str_append(plain, v->type == AM_JSON_ARRAY ? "]" : "}");
			break;
	}
}

static void
put_inline(Report *r, const AmJson *v, size_t max_chars)
{
	AmStr		plain;

	if (v == NULL)
	{
		put(r, NOT_AVAILABLE);
		return;
	}
	if (v->type == AM_JSON_OBJECT && v->n == 0)
	{
		put(r, "<span class=\"na\">defaults</span>");
		return;
	}
	am_str_init(&plain);
	inline_json(&plain, v, 0, max_chars * 4);
	put_text(r, plain.data, max_chars);
	am_free(plain.data);
}

/*
 * A nested definition list of an object: scalars as text, objects as
 * nested lists down to MAX_KV_DEPTH, arrays and deeper objects inline.
 * r->kv_left bounds the entries of the whole list.
 */
static void
put_kv(Report *r, const AmJson *obj, int depth)
{
	int			shown = 0;

	put(r, "<dl class=\"kv\">");
	for (int i = 0; i < obj->n && shown < MAX_KV_MEMBERS && r->kv_left > 0; i++, shown++)
	{
		const AmJson *v = &obj->items[i];

		r->kv_left--;
		put(r, "<dt>");
		put_text(r, obj->keys[i], LEN_SHORT);
		put(r, "</dt><dd>");
		if (v->type == AM_JSON_OBJECT && v->n > 0 && depth + 1 < MAX_KV_DEPTH)
			put_kv(r, v, depth + 1);
		else if (!put_scalar(r, v, LEN_VALUE))
			put_inline(r, v, LEN_INLINE);
		put(r, "</dd>");
	}
	if (shown < obj->n)
		am_str_appendf(&r->out, "<dt>%s</dt><dd>%d more not shown</dd>", AM_REPORT_ELLIPSIS,
					   obj->n - shown);
	put(r, "</dl>");
}

static void
put_value(Report *r, const AmJson *v)
{
	if (v == NULL || v->type == AM_JSON_NULL)
		put(r, NOT_AVAILABLE);
	else if (v->type == AM_JSON_OBJECT && v->n > 0)
	{
		r->kv_left = MAX_KV_ENTRIES;
		put_kv(r, v, 0);
	}
	else if (!put_scalar(r, v, LEN_VALUE))
		put_inline(r, v, LEN_INLINE);
}

/* ---------------------------------------------------------------- vocabulary */

static bool
metric_lower_better(const char *m)
{
	static const char *const lower[] = {"rmse", "mae", "log_loss", "mse", "mape", "brier",
	"rmsle", "msle", "median_absolute_error"};

	if (m == NULL)
		return false;
	for (size_t i = 0; i < sizeof(lower) / sizeof(lower[0]); i++)
		if (strcmp(m, lower[i]) == 0)
			return true;
	return false;
}

/* Display name of a metric (escaped when not one of ours). */
static void
put_metric(Report *r, const char *m)
{
	static const char *const names[][2] = {
		{"roc_auc", "ROC AUC"}, {"log_loss", "log loss"}, {"accuracy", "accuracy"},
		{"f1_macro", "macro F1"}, {"rmse", "RMSE"}, {"mae", "MAE"}, {"r2", "R&#178;"},
		{"mse", "MSE"}, {"average_precision", "average precision"}
	};

	if (m == NULL)
	{
		put(r, "score");
		return;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(m, names[i][0]) == 0)
		{
			put(r, names[i][1]);
			return;
		}
	put_text(r, m, LEN_SHORT);
}

/* The same as plain text, for SVG text and captions built as plain text. */
static const char *
metric_plain(const char *m)
{
	if (m == NULL)
		return "score";
	if (strcmp(m, "roc_auc") == 0)
		return "ROC AUC";
	if (strcmp(m, "log_loss") == 0)
		return "log loss";
	if (strcmp(m, "f1_macro") == 0)
		return "macro F1";
	if (strcmp(m, "rmse") == 0)
		return "RMSE";
	if (strcmp(m, "mae") == 0)
		return "MAE";
	if (strcmp(m, "r2") == 0)
		return "R\xc2\xb2";
	return m;
}

/* Colour of an algorithm: fixed for ours, a stable pick for others. */
static const char *
algorithm_colour(const char *name)
{
	static const char *const known[][2] = {
		{"linear", "#4e79a7"}, {"gbm", "#f28e2b"}, {"forest", "#59a14f"},
		{"extra_trees", "#76b7b2"}, {"knn", "#b07aa1"}, {"naive_bayes", "#edc948"},
		{"mlp", "#e15759"}, {"tree", "#9c755f"}, {"kernel", "#17becf"},
		{"ensemble", "#2f4b7c"}
	};
	static const char *const others[] = {"#ff9da7", "#bab0ac", "#8cd17d", "#d4a6c8", "#86bcb6",
	"#f1ce63", "#a0cbe8", "#ffbe7d"};
	unsigned	h = 2166136261u;

	if (name == NULL)
		return "#bab0ac";
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(name, known[i][0]) == 0)
			return known[i][1];
	for (const unsigned char *p = (const unsigned char *) name; *p; p++)
		h = (h ^ *p) * 16777619u;
	return others[h % (sizeof(others) / sizeof(others[0]))];
}

static void
put_swatch(Report *r, const char *colour)
{
	am_str_appendf(&r->out, "<span class=\"sw\" style=\"background:%s\"></span>", colour);
}

static void
put_algorithm(Report *r, const char *name)
{
	put(r, "<span class=\"alg\">");
	put_swatch(r, algorithm_colour(name));
	if (name)
		put_text(r, name, LEN_SHORT);
	else
		put(r, NOT_AVAILABLE);
	put(r, "</span>");
}

/* A status or role as a coloured badge. */
static void
put_badge(Report *r, const char *word)
{
	static const char *const kinds[][2] = {
		{"deployed", "b-good"}, {"ok", "b-good"}, {"feature", "b-muted"},
		{"candidate", "b-info"}, {"target", "b-info"}, {"archived", "b-muted"},
		{"stopped", "b-warn"}, {"pruned", "b-muted"}, {"id-like", "b-warn"},
		{"constant", "b-warn"}, {"empty", "b-warn"}, {"failed", "b-bad"}, {"leaky", "b-bad"},
		{"rejected", "b-bad"}, {"retired", "b-muted"}
	};
	const char *cls = "";

	if (word == NULL)
	{
		put(r, NOT_AVAILABLE);
		return;
	}
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(word, kinds[i][0]) == 0)
			cls = kinds[i][1];
	am_str_appendf(&r->out, "<span class=\"badge %s\">", cls);
	put_text(r, word, LEN_SHORT);
	put(r, "</span>");
}

static const char *
task_label(ReportTask t)
{
	switch (t)
	{
		case TASK_BINARY:
			return "binary classification";
		case TASK_MULTICLASS:
			return "multiclass classification";
		case TASK_CLASSIFICATION:
			return "classification";
		case TASK_REGRESSION:
			return "regression";
		case TASK_UNKNOWN:
			break;
	}
	return NULL;
}

static bool
is_classification(ReportTask t)
{
	return t == TASK_BINARY || t == TASK_MULTICLASS || t == TASK_CLASSIFICATION;
}

/* The task from model.task, else from which diagnostics are there. */
static ReportTask
infer_task(const AmJson *doc, const AmJson *model)
{
	const char *t = str_member(model, "task");
	const AmJson *diag = member(doc, "diagnostics", AM_JSON_OBJECT);
	const AmJson *cm;

	if (t && strcmp(t, "binary") == 0)
		return TASK_BINARY;
	if (t && strcmp(t, "multiclass") == 0)
		return TASK_MULTICLASS;
	if (t && strcmp(t, "classification") == 0)
		return TASK_CLASSIFICATION;
	if (t && strcmp(t, "regression") == 0)
		return TASK_REGRESSION;
	if (member(diag, "regression", AM_JSON_OBJECT))
		return TASK_REGRESSION;
	if (member(diag, "roc", AM_JSON_OBJECT) || member(diag, "pr", AM_JSON_OBJECT))
		return TASK_BINARY;
	cm = member(member(diag, "confusion", AM_JSON_OBJECT), "matrix", AM_JSON_ARRAY);
	if (cm)
		return cm->n == 2 ? TASK_BINARY : TASK_MULTICLASS;
	return TASK_UNKNOWN;
}

/* ---------------------------------------------------------------- page structure */

static void
section_begin(Report *r, const char *id, const char *title)
{
	am_str_appendf(&r->out, "<section id=\"%s\"><h2>%s</h2>", id, title);
}

static void
section_end(Report *r)
{
	put(r, "</section>");
}

/* <figure> with a caption; caption is our own markup, detail is escaped. */
static void
figure_begin(Report *r, const char *caption, const char *detail, bool wide)
{
	am_str_appendf(&r->out, "<figure class=\"chart%s\"><figcaption>%s", wide ? " wide" : "",
				   caption);
	if (detail)
	{
		put(r, " <small>");
		put_text(r, detail, LEN_VALUE);
		put(r, "</small>");
	}
	put(r, "</figcaption>");
}

static void
figure_end(Report *r)
{
	put(r, "</figure>");
}

static void
placeholder_figure(Report *r, const char *caption, const char *message, bool wide)
{
	figure_begin(r, caption, NULL, wide);
	am_svg_placeholder(&r->out, wide ? WIDE_W : CHART_W, wide ? 120 : CHART_H, message);
	figure_end(r);
}

/* A plot area in a CHART_W x CHART_H chart, axes drawn. */
static void
chart_plot(Report *r, AmPlot *p, const char *label, const char *x_title, const char *y_title)
{
	p->s = &r->out;
	p->left = 62;
	p->top = 14;
	p->width = CHART_W - p->left - 18;
	p->height = CHART_H - p->top - 48;
	am_svg_begin(&r->out, CHART_W, CHART_H, label);
	am_svg_axes(p, x_title, y_title);
}

/* A text label in the plot's corner: 0 bottom right, 1 bottom left, 2 top left. */
static void
plot_label(const AmPlot *p, int corner, const char *text)
{
	double		x = corner == 0 ? p->left + p->width - 10 : p->left + 10;
	double		y = corner == 2 ? p->top + 18 : p->top + p->height - 12;

	am_svg_text(p->s, x, y, corner == 0 ? "end" : "start", 13, COLOUR_INK, true, 0, text, 60);
}

/* ---------------------------------------------------------------- reading series */

/* Pruned and stopped trials were scored on some folds only: they rank last. */
static bool
trial_partial(const Trial *t)
{
	return t->status != NULL &&
		(strcmp(t->status, "pruned") == 0 || strcmp(t->status, "stopped") == 0);
}

static int
cmp_trial(const void *a, const void *b)
{
	const Trial *x = a,
			   *y = b;

	if (trial_partial(x) != trial_partial(y))
		return trial_partial(x) ? 1 : -1;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->number != y->number)
		return x->number < y->number ? -1 : 1;
	return (x->order > y->order) - (x->order < y->order);
}

static int
cmp_xy(const void *a, const void *b)
{
	const XY   *p = a,
			   *q = b;

	if (p->x != q->x)
		return p->x < q->x ? -1 : 1;
	return (p->order > q->order) - (p->order < q->order);
}

static int
cmp_importance(const void *a, const void *b)
{
	const Importance *p = a,
			   *q = b;

	if (p->value != q->value)
		return p->value > q->value ? -1 : 1;
	return (p->order > q->order) - (p->order < q->order);
}

/* The trials that are objects, at most MAX_READ; *n gets how many. */
static Trial *
read_trials(const Report *r, int *n)
{
	const AmJson *arr = member(r->doc, "trials", AM_JSON_ARRAY);
	int			m = items_to_read(arr);
	Trial	   *t = AM_NEW0(Trial, m > 0 ? m : 1);
	int			k = 0;

	for (int i = 0; i < m; i++)
	{
		const AmJson *o = &arr->items[i];

		if (o->type != AM_JSON_OBJECT)
			continue;
		t[k].number = num_or_nan(o, "trial");
		if (isnan(t[k].number))
			t[k].number = i + 1;
		t[k].algorithm = str_member(o, "algorithm");
		t[k].status = str_member(o, "status");
		t[k].score = num_or_nan(o, "score");
		t[k].std = num_or_nan(o, "score_std");
		t[k].fit = num_or_nan(o, "fit_seconds");
		t[k].elapsed = num_or_nan(o, "elapsed_seconds");
		t[k].hyper = am_json_get(o, "hyperparameters");
		t[k].order = i;
		t[k].key = r->lower_better ? t[k].score : -t[k].score;
		k++;
	}
	*n = k;
	return t;
}

static bool
trial_failed(const Trial *t)
{
	return t->status != NULL && strcmp(t->status, "failed") == 0;
}

/* Counted among the best-so-far: complete and scored. */
static bool
trial_complete(const Trial *t)
{
	return isfinite(t->score) && (t->status == NULL || strcmp(t->status, "ok") == 0);
}

/*
 * Finite pairs (xs[i], ys[i]) (weights from ws when given), downsampled to
 * at most max; returns how many.  *pts is allocated.
 */
static int
read_pairs(const AmJson *xs, const AmJson *ys, int max, XY **pts)
{
	int			n = items_to_read(xs) < items_to_read(ys) ? items_to_read(xs) : items_to_read(ys);
	XY		   *all = AM_NEW(XY, n > 0 ? n : 1);
	int		   *idx;
	int			k = 0,
				m;

	for (int i = 0; i < n; i++)
	{
		double		x,
					y;

		if (num_item(xs, i, &x) && num_item(ys, i, &y))
		{
			all[k].x = x;
			all[k].y = y;
			all[k].w = 1.0;
			all[k].order = k;
			k++;
		}
	}
	idx = AM_NEW(int, max);
	m = am_downsample(k, max, idx);
	*pts = AM_NEW(XY, m > 0 ? m : 1);
	for (int i = 0; i < m; i++)
		(*pts)[i] = all[idx[i]];
	am_free(idx);
	am_free(all);
	return m;
}

static void
split_xy(const XY *p, int n, double **x, double **y)
{
	*x = AM_NEW(double, n > 0 ? n : 1);
	*y = AM_NEW(double, n > 0 ? n : 1);
	for (int i = 0; i < n; i++)
	{
		(*x)[i] = p[i].x;
		(*y)[i] = p[i].y;
	}
}

/* ---------------------------------------------------------------- header */

static void
render_head(Report *r)
{
	const char *name = str_member(r->model, "name");
	double		version;

	put(r, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>"
		"<meta name=\"generator\" content=\"automl\"/><title>Model report");
	if (name)
	{
		put(r, ": ");
		put_text(r, name, LEN_NAME);
		if (num_member(r->model, "version", &version))
		{
			put(r, " v");
			put_num(r, version, 6);
		}
	}
	put(r, "</title><style>");
	put(r, report_css);
	put(r, "</style></head><body><main>");
}

static void
kpi_begin(Report *r, const char *label)
{
	am_str_appendf(&r->out, "<div class=\"kpi\"><span>%s</span><b>", label);
}

static void
kpi_end(Report *r)
{
	put(r, "</b></div>");
}

/* Headline numbers: score, rows, features, trials, training time. */
static void
render_kpis(Report *r)
{
	const AmJson *trials = member(r->doc, "trials", AM_JSON_ARRAY);
	double		v;

	put(r, "<div class=\"kpis\"><div class=\"kpi\"><span>");
	put_metric(r, r->metric);
	put(r, " (validation)</span><b>");
	put_score(r, num_or_nan(r->model, "score"));
	if (num_member(r->model, "score_std", &v))
	{
		put(r, " <span class=\"small\">&#177; ");
		put_num(r, v, 2);
		put(r, "</span>");
	}
	kpi_end(r);
	kpi_begin(r, "Rows");
	put_count(r, num_or_nan(r->model, "n_rows"));
	kpi_end(r);
	kpi_begin(r, "Features");
	put_count(r, num_or_nan(r->model, "n_features"));
	kpi_end(r);
	kpi_begin(r, "Trials");
	put_count(r, num_member(r->model, "trials", &v) ? v : trials ? (double) trials->n : NAN);
	kpi_end(r);
	kpi_begin(r, "Training time");
	put_seconds(r, num_or_nan(r->model, "train_seconds"));
	kpi_end(r);
	put(r, "</div>");
}

/* Title, task and status, and the headline numbers. */
static void
render_banner(Report *r)
{
	const char *name = str_member(r->model, "name");
	const char *task = str_member(r->model, "task");
	const char *algo = str_member(r->model, "algorithm");
	const char *status = str_member(r->model, "status");
	double		v;

	put(r, "<header class=\"top\"><p class=\"eyebrow\">automl model report</p><h1>");
	if (name)
		put_text(r, name, LEN_NAME);
	else
		put(r, "Unnamed model");
	if (num_member(r->model, "version", &v))
	{
		put(r, " <span class=\"ver\">version ");
		put_num(r, v, 6);
		put(r, "</span>");
	}
	put(r, "</h1><p class=\"sub\">");
	if (task_label(r->task))
		put(r, task_label(r->task));
	else
		put_text(r, task ? task : "task not available", LEN_SHORT);
	put(r, " &#183; ");
	put_text(r, algo ? algo : "algorithm not available", LEN_SHORT);
	if (status)
	{
		put(r, " &#183; ");
		put_badge(r, status);
	}
	put(r, "</p>");
	render_kpis(r);
	put(r, "</header>");
}

/* ---------------------------------------------------------------- summary */

static void
card_begin(Report *r, const char *label)
{
	am_str_appendf(&r->out, "<dt>%s</dt><dd>", label);
}

static void
card_end(Report *r)
{
	put(r, "</dd>");
}

static void
card_text(Report *r, const char *label, const char *key, size_t max_chars)
{
	const AmJson *v = am_json_get(r->model, key);

	card_begin(r, label);
	if (v == NULL || v->type == AM_JSON_NULL)
		put(r, NOT_AVAILABLE);
	else if (!put_scalar(r, v, max_chars))
		put_inline(r, v, LEN_INLINE);
	card_end(r);
}

static void
card_count(Report *r, const char *label, const char *key)
{
	card_begin(r, label);
	put_count(r, num_or_nan(r->model, key));
	card_end(r);
}

static void
put_validation(Report *r)
{
	const char *method = str_member(r->validation, "method");
	double		folds,
				rows;
	bool		has_rows = num_member(r->validation, "rows", &rows);

	if (method == NULL)
	{
		put(r, NOT_AVAILABLE);
		return;
	}
	if (strcmp(method, "cv") == 0)
	{
		if (num_member(r->validation, "folds", &folds) && folds >= 2 && folds < 1e6)
			am_str_appendf(&r->out, "%.0f-fold cross-validation", folds);
		else
			put(r, "cross-validation");
	}
	else if (strcmp(method, "holdout") == 0)
		put(r, "holdout");
	else if (strcmp(method, "none") == 0)
		put(r, "none (fitted on all rows, scores not validated)");
	else
		put_text(r, method, LEN_SHORT);
	if (has_rows && strcmp(method, "none") != 0)
	{
		put(r, " on ");
		put_count(r, rows);
		put(r, " rows");
	}
}

static void
put_classes(Report *r)
{
	const AmJson *c = member(r->model, "classes", AM_JSON_ARRAY);
	int			shown = 0;

	if (c == NULL || c->n == 0)
	{
		put(r, NOT_AVAILABLE);
		return;
	}
	for (int i = 0; i < c->n && shown < MAX_CLASSES; i++, shown++)
	{
		if (i > 0)
			put(r, ", ");
		put(r, "<code>");
		if (!put_scalar(r, &c->items[i], LEN_SHORT))
			put_inline(r, &c->items[i], LEN_SHORT);
		put(r, "</code>");
	}
	if (shown < c->n)
		am_str_appendf(&r->out, " and %d more", c->n - shown);
	am_str_appendf(&r->out, " <span class=\"small\">(%d)</span>", c->n);
}

/* Validation and training values of every metric recorded. */
static void
render_metrics_table(Report *r)
{
	const AmJson *metrics = member(r->model, "metrics", AM_JSON_OBJECT);
	const AmJson *valid = member(r->validation, "metrics", AM_JSON_OBJECT);
	const AmJson *train = member(metrics, "training", AM_JSON_OBJECT);
	const char *keys[MAX_METRICS];
	int			n = 0;

	put(r, "<h3>Metrics</h3>");
	for (int pass = 0; pass < 2; pass++)
	{
		const AmJson *o = pass == 0 ? valid : train;

		for (int i = 0; o && i < o->n && n < MAX_METRICS; i++)
		{
			bool		seen = false;

			for (int k = 0; k < n; k++)
				seen = seen || strcmp(keys[k], o->keys[i]) == 0;
			if (!seen)
				keys[n++] = o->keys[i];
		}
	}
	if (n == 0)
	{
		put(r, "<p>" NOT_AVAILABLE "</p>");
		return;
	}
	put(r, "<div class=\"scroll\"><table><thead><tr><th>metric</th><th class=\"num\">validation</th>"
		"<th class=\"num\">training rows</th><th>direction</th></tr></thead><tbody>");
	for (int k = 0; k < n; k++)
	{
		put(r, "<tr><td>");
		put_metric(r, keys[k]);
		if (r->metric && strcmp(keys[k], r->metric) == 0)
			put(r, " <span class=\"badge b-info\">selection metric</span>");
		put(r, "</td><td class=\"num\">");
		put_score(r, num_or_nan(valid, keys[k]));
		put(r, "</td><td class=\"num\">");
		put_score(r, num_or_nan(train, keys[k]));
		put(r, "</td><td class=\"small\">");
		put(r, metric_lower_better(keys[k]) ? "lower is better" : "higher is better");
		put(r, "</td></tr>");
	}
	put(r, "</tbody></table></div>");
}

static void
render_members(Report *r, const AmJson *members)
{
	int			shown = 0;

	put(r, "<h3>Ensemble members</h3><div class=\"scroll\"><table><thead><tr><th class=\"num\">#</th>"
		"<th class=\"num\">trial</th><th>algorithm</th><th class=\"num\">weight</th>"
		"<th>hyperparameters</th></tr></thead><tbody>");
	for (int i = 0; i < members->n && shown < MAX_MEMBERS; i++)
	{
		const AmJson *m = &members->items[i];

		if (m->type != AM_JSON_OBJECT)
			continue;
		shown++;
		am_str_appendf(&r->out, "<tr><td class=\"num\">%d</td><td class=\"num\">", shown);
		put_num(r, num_or_nan(m, "trial"), 6);
		put(r, "</td><td>");
		put_algorithm(r, str_member(m, "algorithm"));
		put(r, "</td><td class=\"num\">");
		put_percent(r, num_or_nan(m, "weight"));
		put(r, "</td><td class=\"hp\">");
		put_inline(r, am_json_get(m, "hyperparameters"), LEN_INLINE);
		put(r, "</td></tr>");
	}
	put(r, "</tbody></table></div>");
	if (members->n > shown)
		am_str_appendf(&r->out, "<p class=\"note\">%d of %d members shown.</p>", shown, members->n);
}

/* The model half of the card: what was chosen and how well it scores. */
static void
summary_model_card(Report *r)
{
	double		v,
				single,
				ensemble;

	put(r, "<dl class=\"card\">");
	card_text(r, "Name", "name", LEN_NAME);
	card_text(r, "Version", "version", LEN_SHORT);
	card_begin(r, "Status");
	put_badge(r, str_member(r->model, "status"));
	card_end(r);
	card_begin(r, "Task");
	if (task_label(r->task))
		put(r, task_label(r->task));
	else if (str_member(r->model, "task"))
		put_text(r, str_member(r->model, "task"), LEN_SHORT);
	else
		put(r, NOT_AVAILABLE);
	card_end(r);
	card_begin(r, "Algorithm");
	if (str_member(r->model, "algorithm"))
		put_algorithm(r, str_member(r->model, "algorithm"));
	else
		put(r, NOT_AVAILABLE);
	card_end(r);
	card_begin(r, "Metric");
	if (r->metric)
	{
		put_metric(r, r->metric);
		put(r, r->lower_better ? " <span class=\"small\">(lower is better)</span>" :
			" <span class=\"small\">(higher is better)</span>");
	}
	else
		put(r, NOT_AVAILABLE);
	card_end(r);
	card_begin(r, "Score");
	put_score(r, num_or_nan(r->model, "score"));
	if (num_member(r->model, "score_std", &v))
	{
		put(r, " &#177; ");
		put_num(r, v, 2);
		put(r, " <span class=\"small\">(std across folds)</span>");
	}
	card_end(r);
	card_begin(r, "Validation");
	put_validation(r);
	card_end(r);
	if (num_member(r->validation, "ensemble", &ensemble) &&
		num_member(r->validation, "best_single", &single))
	{
		card_begin(r, "Ensemble");
		put_score(r, ensemble);
		put(r, " <span class=\"small\">vs best single model</span> ");
		put_score(r, single);
		card_end(r);
	}
	if (num_member(r->validation, "ensemble_unseen", &ensemble) &&
		num_member(r->validation, "single_unseen", &single))
	{
		card_begin(r, "Ensemble on unseen folds");
		put_score(r, ensemble);
		put(r, " <span class=\"small\">vs single model, each chosen without the fold it is "
			"scored on</span> ");
		put_score(r, single);
		card_end(r);
	}
	card_count(r, "Trials", "trials");
	card_begin(r, "Training time");
	put_seconds(r, num_or_nan(r->model, "train_seconds"));
	card_end(r);
	card_text(r, "Extension version", "extension_version", LEN_SHORT);
	put(r, "</dl>");
}

/* The data half: what it was trained on, by whom, and where it came from. */
static void
summary_data_card(Report *r)
{
	const AmJson *lineage = am_json_get(r->model, "lineage");

	put(r, "<dl class=\"card\">");
	card_text(r, "Target", "target", LEN_NAME);
	if (is_classification(r->task) || member(r->model, "classes", AM_JSON_ARRAY))
	{
		card_begin(r, "Classes");
		put_classes(r);
		card_end(r);
	}
	card_count(r, "Rows", "n_rows");
	card_count(r, "Features", "n_features");
	card_text(r, "Created by", "created_by", LEN_NAME);
	card_text(r, "Created at", "created_at", LEN_SHORT);
	card_begin(r, "Data fingerprint");
	if (str_member(r->model, "data_fingerprint"))
	{
		put(r, "<code>");
		put_text(r, str_member(r->model, "data_fingerprint"), LEN_SHORT);
		put(r, "</code>");
	}
	else
		put(r, NOT_AVAILABLE);
	card_end(r);
	if (lineage && lineage->type != AM_JSON_NULL)
	{
		card_begin(r, "Lineage");
		put_value(r, lineage);
		card_end(r);
	}
	put(r, "</dl>");
}

static void
render_summary(Report *r)
{
	const AmJson *hp = am_json_get(r->model, "hyperparameters");
	const AmJson *members = member(hp, "members", AM_JSON_ARRAY);
	const char *source = str_member(r->model, "source");

	section_begin(r, "summary", "Summary");
	if (r->model == NULL)
		put(r, "<p class=\"note\">The document has no model description.</p>");
	put(r, "<div class=\"cards\">");
	summary_model_card(r);
	summary_data_card(r);
	put(r, "</div><h3>Source</h3>");
	if (source)
	{
		put(r, "<pre>");
		put_text(r, source, LEN_SOURCE);
		put(r, "</pre>");
	}
	else
		put(r, "<p>" NOT_AVAILABLE "</p>");
	render_metrics_table(r);
	if (members)
		render_members(r, members);
	else
	{
		put(r, "<h3>Hyperparameters</h3>");
		if (hp && hp->type == AM_JSON_OBJECT && hp->n == 0)
			put(r, "<p>defaults (no hyperparameters set)</p>");
		else
		{
			put(r, "<div>");
			put_value(r, hp);
			put(r, "</div>");
		}
	}
	section_end(r);
}

/* ---------------------------------------------------------------- leaderboard */

/* The algorithms of the trials, once each, as a colour legend. */
static void
put_legend(Report *r, const Trial *t, int n, bool best_line)
{
	const char *seen[MAX_LEGEND];
	int			k = 0;

	put(r, "<div class=\"legend\">");
	for (int i = 0; i < n && k < MAX_LEGEND; i++)
	{
		bool		dup = false;

		if (t[i].algorithm == NULL)
			continue;
		for (int j = 0; j < k; j++)
			dup = dup || strcmp(seen[j], t[i].algorithm) == 0;
		if (dup)
			continue;
		seen[k++] = t[i].algorithm;
		put(r, "<span>");
		put_algorithm(r, t[i].algorithm);
		put(r, "</span>");
	}
	if (best_line)
		put(r, "<span><span class=\"sw\" style=\"background:" COLOUR_BEST
			";height:3px;width:18px;vertical-align:middle\"></span>best so far</span>");
	put(r, "</div>");
}

static void
leaderboard_chart(Report *r, const Trial *t, int n)
{
	AmPlot		p;
	double		lo = INFINITY,
				hi = -INFINITY;
	double		row = 22;
	int			height = (int) (14 + n * row + 44);
	char		label[96],
				buf[48];

	for (int i = 0; i < n; i++)
	{
		double		sd = isfinite(t[i].std) && t[i].std > 0 ? t[i].std : 0.0;

		lo = fmin(lo, t[i].score - sd);
		hi = fmax(hi, t[i].score + sd);
	}
	memset(&p, 0, sizeof(p));
	/* bars start at the axis minimum, a little below the lowest score */
	if (!am_axis_nice(&p.x, lo - 0.08 * (hi - lo), hi, 6))
	{
		am_svg_placeholder(&r->out, WIDE_W, 120, "scores are out of range");
		return;
	}
	p.s = &r->out;
	p.left = 210;
	p.top = 14;
	p.width = WIDE_W - p.left - 70;
	p.height = n * row;
	p.y.n_ticks = 0;
	p.y.lo = 0;
	p.y.hi = 1;
	am_svg_begin(&r->out, WIDE_W, height, "leaderboard: best trials by score");
	am_svg_axes(&p, metric_plain(r->metric), NULL);
	for (int i = 0; i < n; i++)
	{
		double		y = p.top + i * row + 4;
		double		x0 = p.left;
		double		x1 = am_plot_x(&p, t[i].score);

		snprintf(label, sizeof(label), "#%d", i + 1);
		am_svg_text(&r->out, 8, y + 11, "start", 12, COLOUR_INK, i == 0, 0, label, 0);
		am_svg_text(&r->out, 40, y + 11, "start", 12, COLOUR_INK, i == 0, 0,
					t[i].algorithm ? t[i].algorithm : "?", 14);
		snprintf(label, sizeof(label), "trial %s", am_fmt_num(buf, sizeof(buf), t[i].number, 6));
		am_svg_text(&r->out, p.left - 10, y + 11, "end", 11.5, COLOUR_MUTED, false, 0, label, 0);
		am_svg_rect(&r->out, x0, y, x1 - x0, row - 8, algorithm_colour(t[i].algorithm),
					1.0, NULL);
		if (isfinite(t[i].std) && t[i].std > 0)
		{
			double		a = fmax(p.left, am_plot_x(&p, t[i].score - t[i].std)),
						b = fmin(p.left + p.width, am_plot_x(&p, t[i].score + t[i].std));

			am_svg_line(&r->out, a, y + (row - 8) / 2, b, y + (row - 8) / 2, COLOUR_BEST, 1.2, NULL);
			am_svg_line(&r->out, a, y + 3, a, y + row - 11, COLOUR_BEST, 1.2, NULL);
			am_svg_line(&r->out, b, y + 3, b, y + row - 11, COLOUR_BEST, 1.2, NULL);
		}
		am_svg_text(&r->out, fmin(p.left + p.width, fmax(x1, am_plot_x(&p, t[i].score +
																	(isfinite(t[i].std) ? t[i].std : 0)))) + 6,
					y + 11, "start", 11.5, COLOUR_INK, false, 0,
					am_fmt_score(buf, sizeof(buf), t[i].score), 0);
	}
	am_svg_end(&r->out);
}

static void
leaderboard_table(Report *r, const Trial *t, int n)
{
	put(r, "<div class=\"scroll\"><table><thead><tr><th class=\"num\">rank</th>"
		"<th class=\"num\">trial</th><th>algorithm</th><th class=\"num\">");
	put_metric(r, r->metric);
	put(r, "</th><th class=\"num\">std</th><th class=\"num\">fit seconds</th><th>status</th>"
		"<th>hyperparameters</th></tr></thead><tbody>");
	for (int i = 0; i < n; i++)
	{
		am_str_appendf(&r->out, "<tr><td class=\"num\">%d</td><td class=\"num\">", i + 1);
		put_num(r, t[i].number, 6);
		put(r, "</td><td>");
		put_algorithm(r, t[i].algorithm);
		put(r, "</td><td class=\"num\">");
		put_score(r, t[i].score);
		put(r, "</td><td class=\"num\">");
		put_num(r, t[i].std, 2);
		put(r, "</td><td class=\"num\">");
		put_num(r, t[i].fit, 3);
		put(r, "</td><td>");
		put_badge(r, t[i].status ? t[i].status : "ok");
		put(r, "</td><td class=\"hp\">");
		put_inline(r, t[i].hyper, LEN_INLINE);
		put(r, "</td></tr>");
	}
	put(r, "</tbody></table></div>");
}

static void
render_leaderboard(Report *r, Trial *all, int n_all)
{
	Trial	   *ranked = AM_NEW(Trial, n_all > 0 ? n_all : 1);
	int			n = 0,
				failed = 0,
				shown;

	section_begin(r, "leaderboard", "Leaderboard");
	for (int i = 0; i < n_all; i++)
	{
		if (trial_failed(&all[i]))
			failed++;
		else if (isfinite(all[i].score))
			ranked[n++] = all[i];
	}
	if (n == 0)
	{
		placeholder_figure(r, "Best trials", n_all == 0 ? "no trials were recorded" :
						   "no trial has a score", true);
		section_end(r);
		am_free(ranked);
		return;
	}
	qsort(ranked, n, sizeof(Trial), cmp_trial);
	shown = n < MAX_LEADERBOARD ? n : MAX_LEADERBOARD;
	am_str_appendf(&r->out, "<figure class=\"chart wide\"><figcaption>Best %d of %d trials by ",
				   shown, n_all);
	put_metric(r, r->metric);
	put(r, r->lower_better ? " <small>(lower is better; trials scored on every fold first; bars "
		"start at the axis minimum, whiskers show &#177; one standard deviation across folds)</small>" :
		" <small>(higher is better; trials scored on every fold first; bars start at the axis "
		"minimum, whiskers show &#177; one standard deviation across folds)</small>");
	put(r, "</figcaption>");
	put_legend(r, ranked, shown, false);
	leaderboard_chart(r, ranked, shown);
	figure_end(r);
	put(r, "<h3>Top trials</h3>");
	leaderboard_table(r, ranked, shown);
	{
		int			pruned = 0,
					stopped = 0;

		for (int i = 0; i < n_all; i++)
		{
			pruned += all[i].status && strcmp(all[i].status, "pruned") == 0;
			stopped += all[i].status && strcmp(all[i].status, "stopped") == 0;
		}
		am_str_appendf(&r->out, "<p class=\"note\">%d trials recorded, %d with a score", n_all, n);
		if (pruned)
			am_str_appendf(&r->out, "; %d pruned (scored on their first folds only)", pruned);
		if (stopped)
			am_str_appendf(&r->out, "; %d stopped", stopped);
		if (failed)
			am_str_appendf(&r->out, "; %d failed (no score)", failed);
		put(r, ".</p>");
	}
	section_end(r);
	am_free(ranked);
}

/* ---------------------------------------------------------------- progress */

/*
 * The staircase of the best complete score so far through points sorted by
 * x: (sx, sy), at most 2 n + 1 corners; returns how many.
 */
static int
best_so_far(const XY *pts, int n, bool lower_better, double *sx, double *sy)
{
	int			k = 0;
	double		best = NAN;

	for (int i = 0; i < n; i++)
	{
		if (pts[i].w <= 0 || !(isnan(best) || (lower_better ? pts[i].y < best : pts[i].y > best)))
			continue;
		if (!isnan(best))
		{
			sx[k] = pts[i].x;
			sy[k++] = best;
		}
		best = pts[i].y;
		sx[k] = pts[i].x;
		sy[k++] = best;
	}
	if (k > 0)
	{
		sx[k] = pts[n - 1].x;
		sy[k++] = best;
	}
	return k;
}

/* Trials as dots (a deterministic sample) and the staircase as a line. */
static void
progress_chart(Report *r, AmPlot *p, const Trial *all, const XY *pts, int n)
{
	double	   *sx = AM_NEW(double, 2 * n + 1),
			   *sy = AM_NEW(double, 2 * n + 1),
			   *x = AM_NEW(double, 2 * MAX_PROGRESS_POINTS),
			   *y = AM_NEW(double, 2 * MAX_PROGRESS_POINTS);
	const char **colours = AM_NEW(const char *, MAX_PROGRESS_POINTS);
	int		   *idx = AM_NEW(int, 2 * MAX_PROGRESS_POINTS);
	int			m = am_downsample(n, MAX_PROGRESS_POINTS, idx),
				steps;

	for (int i = 0; i < m; i++)
	{
		x[i] = pts[idx[i]].x;
		y[i] = pts[idx[i]].y;
		colours[i] = algorithm_colour(all[pts[idx[i]].order].algorithm);
	}
	am_svg_points(p, x, y, m, NULL, 4, colours, COLOUR_MAIN, 0.65);
	steps = best_so_far(pts, n, r->lower_better, sx, sy);
	m = am_downsample(steps, 2 * MAX_PROGRESS_POINTS, idx);
	for (int i = 0; i < m; i++)
	{
		x[i] = sx[idx[i]];
		y[i] = sy[idx[i]];
	}
	am_svg_polyline(p, x, y, m, COLOUR_BEST, 2.2, NULL);
	am_free(sx);
	am_free(sy);
	am_free(x);
	am_free(y);
	am_free(colours);
	am_free(idx);
}

static void
render_progress(Report *r, const Trial *all, int n_all)
{
	XY		   *pts = AM_NEW(XY, n_all > 0 ? n_all : 1);
	int			n = 0,
				with_time = 0;
	bool		by_time;
	double		lo = INFINITY,
				hi = -INFINITY;
	AmPlot		p;

	section_begin(r, "progress", "Search progress");
	for (int i = 0; i < n_all; i++)
		with_time += isfinite(all[i].elapsed) && isfinite(all[i].score);
	by_time = with_time >= 2;
	for (int i = 0; i < n_all; i++)
	{
		double		x = by_time ? all[i].elapsed : all[i].number;

		if (!isfinite(x) || !isfinite(all[i].score))
			continue;
		pts[n].x = x;
		pts[n].y = all[i].score;
		pts[n].w = trial_complete(&all[i]) ? 1.0 : 0.0;
		pts[n].order = i;
		lo = fmin(lo, pts[n].y);
		hi = fmax(hi, pts[n].y);
		n++;
	}
	qsort(pts, n, sizeof(XY), cmp_xy);
	memset(&p, 0, sizeof(p));
	if (n < 2)
		placeholder_figure(r, "Best score so far", "not enough scored trials to show progress", true);
	else if (!am_axis_nice(&p.x, by_time ? fmin(0.0, pts[0].x) : pts[0].x, pts[n - 1].x, 8) ||
			 !am_axis_nice(&p.y, lo, hi, 6))
		placeholder_figure(r, "Best score so far", "values are out of range", true);
	else
	{
		figure_begin(r, "Best score so far", by_time ?
					 "against elapsed seconds; dots are trials, coloured by algorithm" :
					 "against trial number; dots are trials, coloured by algorithm", true);
		put_legend(r, all, n_all, true);
		p.s = &r->out;
		p.left = 70;
		p.top = 14;
		p.width = WIDE_W - p.left - 24;
		p.height = 300;
		am_svg_begin(&r->out, WIDE_W, (int) (p.top + p.height + 50), "search progress");
		am_svg_axes(&p, by_time ? "elapsed seconds" : "trial", metric_plain(r->metric));
		progress_chart(r, &p, all, pts, n);
		am_svg_end(&r->out);
		figure_end(r);
	}
	section_end(r);
	am_free(pts);
}

/* ---------------------------------------------------------------- performance */

/* A curve in the unit square (ROC, precision-recall). */
static void
curve_figure(Report *r, const char *caption, const char *detail, const AmJson *obj, const char *xkey,
			 const char *ykey, const char *x_title, const char *y_title, const char *colour,
			 bool diagonal, double baseline, const char *stat_name, const char *stat_key)
{
	XY		   *pts;
	int			n = read_pairs(member(obj, xkey, AM_JSON_ARRAY), member(obj, ykey, AM_JSON_ARRAY),
							  MAX_CURVE_POINTS, &pts);
	double	   *x,
			   *y,
				stat;
	AmPlot		p;
	char		label[80],
				buf[48];

	if (obj == NULL || n < 2)
	{
		am_free(pts);
		placeholder_figure(r, caption, obj == NULL ? "not available" :
						   "not enough points to draw the curve", false);
		return;
	}
	split_xy(pts, n, &x, &y);
	memset(&p, 0, sizeof(p));
	am_axis_fixed(&p.x, 0, 1, 0.2);
	am_axis_fixed(&p.y, 0, 1, 0.2);
	figure_begin(r, caption, detail, false);
	chart_plot(r, &p, caption, x_title, y_title);
	if (diagonal)
	{
		double		dx[2] = {0, 1},
					dy[2] = {0, 1};

		am_svg_polyline(&p, dx, dy, 2, COLOUR_REF, 1.2, "5 4");
	}
	if (isfinite(baseline))
	{
		double		dx[2] = {0, 1},
					dy[2] = {baseline, baseline};

		am_svg_polyline(&p, dx, dy, 2, COLOUR_REF, 1.2, "5 4");
	}
	am_svg_area(&p, x, y, n, colour, 0.10);
	am_svg_polyline(&p, x, y, n, colour, 2.2, NULL);
	if (num_member(obj, stat_key, &stat))
	{
		snprintf(label, sizeof(label), "%s %s", stat_name, am_fmt_num(buf, sizeof(buf), stat, 3));
		plot_label(&p, diagonal ? 0 : 1, label);
	}
	am_svg_end(&r->out);
	figure_end(r);
	am_free(x);
	am_free(y);
	am_free(pts);
}

/* Label i of the confusion matrix, as plain text into buf. */
static const char *
class_label(const AmJson *labels, int i, char *buf, size_t size)
{
	const AmJson *v = labels && i < labels->n ? &labels->items[i] : NULL;

	if (v && v->type == AM_JSON_STRING)
		return v->string;
	if (v && v->type == AM_JSON_NUMBER)
		return am_fmt_num(buf, size, v->number, 6);
	if (v && v->type == AM_JSON_BOOL)
		return v->boolean ? "true" : "false";
	snprintf(buf, size, "class %d", i + 1);
	return buf;
}

static double
cell_value(const AmJson *row, int j)
{
	double		v;

	if (!num_item(row, j, &v) || v < 0.0)
		return NAN;
	return v;
}

static void
confusion_figure(Report *r, const AmJson *cm)
{
	const AmJson *matrix = member(cm, "matrix", AM_JSON_ARRAY);
	const AmJson *labels = member(cm, "labels", AM_JSON_ARRAY);
	int			k = matrix ? (matrix->n < MAX_CONFUSION ? matrix->n : MAX_CONFUSION) : 0;
	double		total = 0.0,
				correct = 0.0;
	double		grid,
				cell,
				label_size,
				left = 118,
				top = 14;
	bool		vertical;		/* column labels run upwards */
	size_t		longest = 1;
	double		below;
	char		buf[64],
				caption[160];
	AmStr	   *s = &r->out;

	if (labels == NULL)
		labels = member(r->model, "classes", AM_JSON_ARRAY);
	for (int i = 0; i < k; i++)
		for (int j = 0; j < k; j++)
		{
			double		v = cell_value(&matrix->items[i], j);

			if (isfinite(v))
			{
				total += v;
				if (i == j)
					correct += v;
			}
		}
	if (k == 0 || !(total > 0.0) || !isfinite(total))
	{
		placeholder_figure(r, "Confusion matrix", cm == NULL ? "not available" :
						   "the confusion matrix has no usable counts", false);
		return;
	}
	if (matrix->n > k)
		snprintf(caption, sizeof(caption), "the first %d of %d classes", k, matrix->n);
	else
		snprintf(caption, sizeof(caption), "accuracy %s",
				 am_fmt_num(buf, sizeof(buf), correct / total, 3));
	figure_begin(r, "Confusion matrix", caption, false);
	for (int i = 0; i < k; i++)
	{
		size_t		len = strlen(class_label(labels, i, buf, sizeof(buf)));

		longest = len > longest ? (len < 10 ? len : 10) : longest;
	}
	/* column labels that do not fit across their cell are turned upwards */
	vertical = longest * 7.5 > fmin(CHART_H - top - 62, CHART_W - left - 16) / k;
	below = vertical ? 36 + longest * 7.5 : 62;
	grid = fmin(CHART_H - top - below, CHART_W - left - 16);
	cell = grid / k;
	label_size = fmin(12, cell * 0.8);
	left = fmax(left, (CHART_W - grid) / 2 + 30);
	am_svg_begin(s, CHART_W, CHART_H, "confusion matrix");
	for (int i = 0; i < k; i++)
	{
		const AmJson *row = &matrix->items[i];
		double		rowsum = 0.0;

		for (int j = 0; j < k; j++)
		{
			double		v = cell_value(row, j);

			if (isfinite(v))
				rowsum += v;
		}
		for (int j = 0; j < k; j++)
		{
			double		v = cell_value(row, j);
			double		t = isfinite(v) && rowsum > 0 && isfinite(rowsum) ? v / rowsum : 0.0;
			double		cx = left + j * cell,
						cy = top + i * cell;
			char		colour[8],
						tip[200],
						lb[64],
						lb2[64];

			am_colour_ramp(t, colour);
			snprintf(tip, sizeof(tip), "actual %.40s, predicted %.40s: %s",
					 class_label(labels, i, lb, sizeof(lb)), class_label(labels, j, lb2, sizeof(lb2)),
					 isfinite(v) ? am_fmt_count(buf, sizeof(buf), v) : "not available");
			am_svg_rect(s, cx + 1, cy + 1, cell - 2, cell - 2, colour, 1.0, tip);
			if (cell >= 18)
			{
				const char *ink = am_colour_ramp_dark(t) ? "#ffffff" : COLOUR_INK;
				double		size = fmin(14, cell / 3.2);

				am_svg_text(s, cx + cell / 2, cy + cell / 2 + (cell >= 44 ? 0 : size / 3), "middle",
							size, ink, true, 0,
							isfinite(v) ? am_fmt_count(buf, sizeof(buf), v) : "-", 0);
				if (cell >= 44 && isfinite(v))
				{
					char		pct[48];

					snprintf(pct, sizeof(pct), "%s%%",
							 am_fmt_tick(buf, sizeof(buf), 100.0 * t, 0.1));
					am_svg_text(s, cx + cell / 2, cy + cell / 2 + size, "middle", size * 0.75, ink,
								false, 0, pct, 0);
				}
			}
		}
		am_svg_text(s, left - 8, top + i * cell + cell / 2 + label_size * 0.35, "end", label_size,
					COLOUR_INK, false, 0, class_label(labels, i, buf, sizeof(buf)), 14);
		if (vertical)
			am_svg_text(s, left + i * cell + cell / 2 + label_size * 0.35, top + grid + 6, "end",
						label_size, COLOUR_INK, false, -90, class_label(labels, i, buf, sizeof(buf)), 10);
		else
			am_svg_text(s, left + i * cell + cell / 2, top + grid + 16, "middle", label_size,
						COLOUR_INK, false, 0, class_label(labels, i, buf, sizeof(buf)),
						(size_t) fmax(3, fmin(14, cell / 7.5)));
	}
	am_svg_text(s, left + grid / 2, top + grid + below - 24, "middle", 12, COLOUR_INK,
				false, 0, "predicted class", 0);
	am_svg_text(s, 18, top + grid / 2, "middle", 12, COLOUR_INK, false, -90, "actual class", 0);
	am_svg_end(s);
	put(r, "<p class=\"note\">Rows are the actual class, columns the predicted class; "
		"colour and percentage are the share of the actual class.</p>");
	figure_end(r);
}

static void
calibration_figure(Report *r, const AmJson *cal)
{
	int			n = items_to_read(cal),
				k = 0,
				m;
	XY		   *pts = AM_NEW(XY, n > 0 ? n : 1);
	int		   *idx = AM_NEW(int, MAX_CALIBRATION);
	double		x[MAX_CALIBRATION],
				y[MAX_CALIBRATION],
				rad[MAX_CALIBRATION],
				wmax = 0.0;
	AmPlot		p;

	for (int i = 0; i < n; i++)
	{
		const AmJson *o = &cal->items[i];
		double		w;

		if (!num_member(o, "predicted", &pts[k].x) || !num_member(o, "observed", &pts[k].y))
			continue;
		pts[k].w = num_member(o, "count", &w) && w >= 0 ? w : NAN;
		pts[k].order = k;
		k++;
	}
	if (k == 0)
	{
		placeholder_figure(r, "Calibration", cal == NULL ? "not available" :
						   "no calibration bins were recorded", false);
		am_free(pts);
		am_free(idx);
		return;
	}
	qsort(pts, k, sizeof(XY), cmp_xy);
	m = am_downsample(k, MAX_CALIBRATION, idx);
	for (int i = 0; i < m; i++)
		if (isfinite(pts[idx[i]].w))
			wmax = fmax(wmax, pts[idx[i]].w);
	for (int i = 0; i < m; i++)
	{
		double		w = pts[idx[i]].w;

		x[i] = pts[idx[i]].x;
		y[i] = pts[idx[i]].y;
		rad[i] = wmax > 0 && isfinite(w) ? 2.5 + 7.0 * sqrt(w / wmax) : 4.0;
	}
	memset(&p, 0, sizeof(p));
	am_axis_fixed(&p.x, 0, 1, 0.2);
	am_axis_fixed(&p.y, 0, 1, 0.2);
	figure_begin(r, "Calibration", "observed frequency against mean predicted probability per bin; "
				 "dot size: rows in the bin; dashed: perfect calibration", false);
	chart_plot(r, &p, "calibration", "mean predicted probability", "observed frequency");
	{
		double		dx[2] = {0, 1},
					dy[2] = {0, 1};

		am_svg_polyline(&p, dx, dy, 2, COLOUR_REF, 1.2, "5 4");
	}
	am_svg_polyline(&p, x, y, m, COLOUR_GOOD, 2, NULL);
	am_svg_points(&p, x, y, m, rad, 4, NULL, COLOUR_GOOD, 0.75);
	am_svg_end(&r->out);
	figure_end(r);
	am_free(pts);
	am_free(idx);
}

/* Validated histogram: counts[i] between edges[i] and edges[i + 1], merged to max bins. */
static int
read_histogram(const AmJson *h, int max, double *edges, double *counts)
{
	const AmJson *e = member(h, "edges", AM_JSON_ARRAY);
	const AmJson *c = member(h, "counts", AM_JSON_ARRAY);
	int			n = c ? c->n : 0,
				group,
				m;
	double		total = 0.0,
				prev;

	if (n < 1 || n >= MAX_READ || e == NULL || e->n != n + 1)
		return 0;
	for (int i = 0; i <= n; i++)
	{
		double		v;

		if (!num_item(e, i, &v) || (i > 0 && v < prev))
			return 0;
		prev = v;
	}
	for (int i = 0; i < n; i++)
	{
		double		v;

		if (!num_item(c, i, &v) || v < 0)
			return 0;
		total += v;
	}
	if (!(total > 0.0) || !isfinite(total) || !(e->items[n].number > e->items[0].number) ||
		!isfinite(e->items[n].number - e->items[0].number))
		return 0;
	group = (n + max - 1) / max;
	m = (n + group - 1) / group;
	for (int g = 0; g < m; g++)
	{
		int			last = (g + 1) * group < n ? (g + 1) * group : n;

		edges[g] = e->items[g * group].number;
		counts[g] = 0;
		for (int i = g * group; i < last; i++)
			counts[g] += c->items[i].number;
		edges[g + 1] = e->items[last].number;
	}
	return m;
}

static void
residual_figure(Report *r, const AmJson *hist)
{
	double		edges[MAX_HIST_BINS + 1],
				counts[MAX_HIST_BINS],
				cmax = 0.0;
	int			n = read_histogram(hist, MAX_HIST_BINS, edges, counts);
	AmPlot		p;

	if (n == 0)
	{
		placeholder_figure(r, "Residuals", hist == NULL ? "not available" :
						   "the residual histogram is empty or malformed", false);
		return;
	}
	for (int i = 0; i < n; i++)
		cmax = fmax(cmax, counts[i]);
	memset(&p, 0, sizeof(p));
	if (!am_axis_nice(&p.x, edges[0], edges[n], 7) || !am_axis_nice(&p.y, 0, cmax, 5))
	{
		placeholder_figure(r, "Residuals", "values are out of range", false);
		return;
	}
	figure_begin(r, "Residuals", "actual minus predicted, rows per bin", false);
	chart_plot(r, &p, "residual histogram", "residual (actual - predicted)", "rows");
	for (int i = 0; i < n; i++)
	{
		double		x0 = am_plot_x(&p, edges[i]),
					x1 = am_plot_x(&p, edges[i + 1]),
					y1 = am_plot_y(&p, counts[i]);
		char		tip[128],
					a[48],
					b[48],
					c[48];

		snprintf(tip, sizeof(tip), "%s to %s: %s rows", am_fmt_num(a, sizeof(a), edges[i], 3),
				 am_fmt_num(b, sizeof(b), edges[i + 1], 3), am_fmt_count(c, sizeof(c), counts[i]));
		am_svg_rect(&r->out, x0 + 0.5, y1, x1 - x0 - 1, p.top + p.height - y1, COLOUR_MAIN, 0.85, tip);
	}
	if (p.x.lo < 0 && p.x.hi > 0)
		am_svg_line(&r->out, am_plot_x(&p, 0), p.top, am_plot_x(&p, 0), p.top + p.height,
					COLOUR_BEST, 1.2, "5 4");
	am_svg_end(&r->out);
	figure_end(r);
}

static void
scatter_figure(Report *r, const AmJson *reg)
{
	XY		   *pts;
	int			n = read_pairs(member(reg, "actual", AM_JSON_ARRAY),
							   member(reg, "predicted", AM_JSON_ARRAY), MAX_SCATTER_POINTS, &pts);
	double		lo = INFINITY,
				hi = -INFINITY,
				r2,
				rmse;
	double	   *x,
			   *y;
	AmPlot		p;
	char		label[96],
				a[48],
				b[48];

	for (int i = 0; i < n; i++)
	{
		lo = fmin(lo, fmin(pts[i].x, pts[i].y));
		hi = fmax(hi, fmax(pts[i].x, pts[i].y));
	}
	memset(&p, 0, sizeof(p));
	if (n < 2 || !(hi > lo) || !am_axis_nice(&p.x, lo, hi, 6))
	{
		am_free(pts);
		placeholder_figure(r, "Predicted vs actual", reg == NULL ? "not available" :
						   n < 2 ? "not enough points to draw" :
						   "all points are equal or out of range", false);
		return;
	}
	p.y = p.x;
	split_xy(pts, n, &x, &y);
	figure_begin(r, "Predicted vs actual", n >= MAX_SCATTER_POINTS ?
				 "a deterministic sample of the validation rows; dashed: identity" :
				 "validation rows; dashed: identity", false);
	chart_plot(r, &p, "predicted against actual", "actual", "predicted");
	{
		double		dx[2] = {p.x.lo, p.x.hi};

		am_svg_polyline(&p, dx, dx, 2, COLOUR_REF, 1.2, "5 4");
	}
	am_svg_points(&p, x, y, n, NULL, 2.6, NULL, COLOUR_MAIN, 0.5);
	if (num_member(member(r->validation, "metrics", AM_JSON_OBJECT), "r2", &r2) &&
		num_member(member(r->validation, "metrics", AM_JSON_OBJECT), "rmse", &rmse))
	{
		snprintf(label, sizeof(label), "R\xc2\xb2 %s \xc2\xb7 RMSE %s", am_fmt_num(a, sizeof(a), r2, 3),
				 am_fmt_num(b, sizeof(b), rmse, 3));
		plot_label(&p, 0, label);
	}
	am_svg_end(&r->out);
	figure_end(r);
	am_free(x);
	am_free(y);
	am_free(pts);
}

/* Share of positives from a 2 x 2 confusion matrix, or NaN. */
static double
positive_share(const AmJson *cm)
{
	const AmJson *m = member(cm, "matrix", AM_JSON_ARRAY);
	double		a,
				b,
				c,
				d;

	if (m == NULL || m->n != 2 ||
		!isfinite(a = cell_value(&m->items[0], 0)) || !isfinite(b = cell_value(&m->items[0], 1)) ||
		!isfinite(c = cell_value(&m->items[1], 0)) || !isfinite(d = cell_value(&m->items[1], 1)) ||
		!(a + b + c + d > 0))
		return NAN;
	return (c + d) / (a + b + c + d);
}

static void
render_performance(Report *r)
{
	const AmJson *diag = member(r->doc, "diagnostics", AM_JSON_OBJECT);
	const AmJson *roc = member(diag, "roc", AM_JSON_OBJECT);
	const AmJson *pr = member(diag, "pr", AM_JSON_OBJECT);
	const AmJson *cm = member(diag, "confusion", AM_JSON_OBJECT);
	const AmJson *cal = member(diag, "calibration", AM_JSON_ARRAY);
	const AmJson *reg = member(diag, "regression", AM_JSON_OBJECT);
	bool		classification = is_classification(r->task) ||
		(r->task == TASK_UNKNOWN && (roc || pr || cm || cal));
	bool		regression = r->task == TASK_REGRESSION || (r->task == TASK_UNKNOWN && reg);

	section_begin(r, "performance", "Performance");
	if (diag == NULL)
		put(r, "<p class=\"note\">No diagnostics were recorded for this model.</p>");
	put(r, "<div class=\"charts\">");
	if (classification)
	{
		if (roc || r->task == TASK_BINARY)
			curve_figure(r, "ROC curve", "validation predictions; dashed: chance", roc, "fpr", "tpr",
						 "false positive rate",
						 "true positive rate", COLOUR_MAIN, true, NAN, "AUC", "auc");
		if (pr || r->task == TASK_BINARY)
			curve_figure(r, "Precision-recall curve", isfinite(positive_share(cm)) ?
						 "validation predictions; dashed: share of positives" :
						 "validation predictions", pr, "recall", "precision", "recall",
						 "precision", COLOUR_ALT, false, positive_share(cm), "AP",
						 "average_precision");
		confusion_figure(r, cm);
		calibration_figure(r, cal);
	}
	if (regression)
	{
		scatter_figure(r, reg);
		residual_figure(r, member(reg, "residuals", AM_JSON_OBJECT));
	}
	if (!classification && !regression)
		placeholder_figure(r, "Diagnostics", "the task is unknown and no diagnostics were recorded",
						   true);
	put(r, "</div>");
	if (r->task == TASK_MULTICLASS && roc == NULL && pr == NULL)
		put(r, "<p class=\"note\">ROC and precision-recall curves are drawn for binary models.</p>");
	section_end(r);
}

/* ---------------------------------------------------------------- importance */

/* Horizontal bars of the shown features, largest first. */
static void
importance_chart(Report *r, AmPlot *p, const Importance *imp, int shown, bool shares)
{
	const double row = 20;
	char		buf[48],
				val[64];

	p->s = &r->out;
	p->left = 240;
	p->top = 8;
	p->width = WIDE_W - p->left - 70;
	p->height = shown * row;
	p->y.lo = 0;
	p->y.hi = 1;
	am_svg_begin(&r->out, WIDE_W, (int) (p->top + p->height + 44), "feature importance");
	am_svg_axes(p, shares ? "share of the total importance (%)" : "importance", NULL);
	for (int i = 0; i < shown; i++)
	{
		const char *name = imp[i].feature ? imp[i].feature : "(unnamed)";
		double		y = p->top + i * row + 3;
		double		x0 = am_plot_x(p, fmin(0.0, imp[i].value)),
					x1 = am_plot_x(p, fmax(0.0, imp[i].value));

		am_svg_text(&r->out, p->left - 8, y + 11, "end", 12, COLOUR_INK, false, 0, name,
					LEN_LABEL + 6);
		am_svg_rect(&r->out, x0, y, x1 - x0, row - 6, COLOUR_MAIN, 0.9, name);
		if (shares)
			snprintf(val, sizeof(val), "%s%%", am_fmt_tick(buf, sizeof(buf), imp[i].value, 0.1));
		else
			am_fmt_num(val, sizeof(val), imp[i].value, 3);
		am_svg_text(&r->out, x1 + 6, y + 11, "start", 11.5, COLOUR_INK, false, 0, val, 0);
	}
	am_svg_end(&r->out);
}

static void
render_importance(Report *r)
{
	const AmJson *arr = member(r->doc, "importance", AM_JSON_ARRAY);
	int			n = items_to_read(arr),
				k = 0,
				shown;
	Importance *imp = AM_NEW(Importance, n > 0 ? n : 1);
	double		total = 0.0,
				lo = 0.0,
				hi = 0.0,
				rest = 0.0;
	bool		shares;
	AmPlot		p;

	section_begin(r, "importance", "Feature importance");
	for (int i = 0; i < n; i++)
	{
		const AmJson *o = &arr->items[i];

		if (!num_member(o, "importance", &imp[k].value))
			continue;
		imp[k].feature = str_member(o, "feature");
		imp[k].order = i;
		total += imp[k].value;
		k++;
	}
	qsort(imp, k, sizeof(Importance), cmp_importance);
	shown = k < MAX_IMPORTANCE ? k : MAX_IMPORTANCE;
	shares = isfinite(total) && fabs(total - 1.0) < 0.02;
	for (int i = 0; i < k; i++)
	{
		/* shares of the total are shown as percentages */
		if (shares)
			imp[i].value *= 100.0;
		if (i < shown)
		{
			lo = fmin(lo, imp[i].value);
			hi = fmax(hi, imp[i].value);
		}
		else
			rest += imp[i].value;
	}
	memset(&p, 0, sizeof(p));
	if (k == 0)
		placeholder_figure(r, "Importance", arr == NULL ? "not available for this model" :
						   "no feature has an importance", true);
	else if (!(hi > lo))
		placeholder_figure(r, "Importance", "every importance is zero", true);
	else if (!am_axis_nice(&p.x, lo, hi, 6))
		placeholder_figure(r, "Importance", "values are out of range", true);
	else
	{
		const AmJson *kind = member(r->doc, "importance_kind", AM_JSON_STRING);

		figure_begin(r, shares ? "Share of the total importance" : "Importance",
					 k > shown ? "top 25 features" : NULL, true);
		importance_chart(r, &p, imp, shown, shares);
		figure_end(r);
		if (kind != NULL && strcmp(kind->string, "permutation") == 0)
			put(r, "<p class=\"note\">Permutation importance: how much the log loss "
				"(classification) or the squared error (regression) grows when a feature's "
				"values are shuffled among up to 1,000 training rows. Shuffling every feature "
				"the same way makes algorithms and encodings comparable.</p>");
		if (k > shown)
		{
			am_str_appendf(&r->out, "<p class=\"note\">%d of %d features shown; the other %d "
						   "account for ", shown, k, k - shown);
			if (shares)
				put_percent(r, rest / 100.0);
			else
				put_num(r, rest, 3);
			put(r, shares ? " of the total.</p>" : " in total.</p>");
		}
	}
	section_end(r);
	am_free(imp);
}

/* ---------------------------------------------------------------- profile */

static void
spark_histogram(Report *r, const AmJson *hist)
{
	double		edges[MAX_SPARK_BINS + 1],
				counts[MAX_SPARK_BINS],
				cmax = 0.0;
	int			n = read_histogram(hist, MAX_SPARK_BINS, edges, counts);
	const double w = 140,
				h = 28;
	char		a[48],
				b[48];

	if (n == 0)
	{
		put(r, "<span class=\"na\">no histogram</span>");
		return;
	}
	for (int i = 0; i < n; i++)
		cmax = fmax(cmax, counts[i]);
	am_svg_begin(&r->out, (int) w, (int) h, "histogram");
	for (int i = 0; i < n; i++)
	{
		double		bh = (h - 2) * counts[i] / cmax;
		char		tip[128],
					c[48];

		snprintf(tip, sizeof(tip), "%s to %s: %s", am_fmt_num(a, sizeof(a), edges[i], 3),
				 am_fmt_num(b, sizeof(b), edges[i + 1], 3), am_fmt_count(c, sizeof(c), counts[i]));
		am_svg_rect(&r->out, i * w / n + 0.5, h - 1 - bh, w / n - 1, fmax(bh, counts[i] > 0 ? 1 : 0),
					COLOUR_MAIN, 0.85, tip);
	}
	am_svg_line(&r->out, 0, h - 0.5, w, h - 0.5, "#cbd2d9", 1, NULL);
	am_svg_end(&r->out);
	put(r, " <span class=\"small\">");
	put(r, am_fmt_num(a, sizeof(a), edges[0], 3));
	put(r, " &#8211; ");
	put(r, am_fmt_num(b, sizeof(b), edges[n], 3));
	put(r, "</span>");
}

static void
spark_top(Report *r, const AmJson *top)
{
	double		counts[MAX_SPARK_TOP],
				cmax = 0.0;
	const char *values[MAX_SPARK_TOP];
	int			n = 0;
	const double w = 140,
				h = 28;

	for (int i = 0; top && i < top->n && n < MAX_SPARK_TOP; i++)
	{
		const AmJson *o = &top->items[i];
		double		c;

		if (!num_member(o, "count", &c) || c < 0)
			continue;
		values[n] = str_member(o, "value");
		counts[n++] = c;
		cmax = fmax(cmax, c);
	}
	if (n == 0 || !(cmax > 0))
	{
		put(r, "<span class=\"na\">no categories</span>");
		return;
	}
	am_svg_begin(&r->out, (int) w, (int) h, "most frequent values");
	for (int i = 0; i < n; i++)
	{
		double		bw = w / MAX_SPARK_TOP;
		double		bh = (h - 2) * counts[i] / cmax;
		char		tip[160],
					c[48];

		snprintf(tip, sizeof(tip), "%.100s: %s", values[i] ? values[i] : "(null)",
				 am_fmt_count(c, sizeof(c), counts[i]));
		am_svg_rect(&r->out, i * bw + 0.5, h - 1 - bh, bw - 2, fmax(bh, 1), COLOUR_ALT, 0.85, tip);
	}
	am_svg_line(&r->out, 0, h - 0.5, w, h - 0.5, "#cbd2d9", 1, NULL);
	am_svg_end(&r->out);
	put(r, " <span class=\"small\">");
	for (int i = 0; i < n && i < 3; i++)
	{
		char		c[48];

		if (i > 0)
			put(r, " &#183; ");
		if (values[i])
			put_text(r, values[i], 16);
		else
			put(r, "null");
		am_str_appendf(&r->out, " (%s)", am_fmt_count(c, sizeof(c), counts[i]));
	}
	put(r, "</span>");
}

static void
render_profile(Report *r)
{
	const AmJson *arr = member(r->doc, "profile", AM_JSON_ARRAY);
	int			shown = 0;

	section_begin(r, "profile", "Data profile");
	if (arr == NULL || arr->n == 0)
	{
		put(r, "<p>");
		put(r, arr ? "No columns were profiled." : NOT_AVAILABLE);
		put(r, "</p>");
		section_end(r);
		return;
	}
	put(r, "<div class=\"scroll\"><table><thead><tr><th>column</th><th>type</th>"
		"<th class=\"num\">missing</th><th class=\"num\">distinct</th><th>role</th>"
		"<th>distribution</th></tr></thead><tbody>");
	for (int i = 0; i < arr->n && shown < MAX_PROFILE; i++)
	{
		const AmJson *c = &arr->items[i];
		const char *type = str_member(c, "type");
		const char *kind = str_member(c, "kind");
		const AmJson *hist = member(c, "histogram", AM_JSON_OBJECT);
		const AmJson *top = member(c, "top", AM_JSON_ARRAY);
		double		missing = num_or_nan(c, "missing_share");

		if (c->type != AM_JSON_OBJECT)
			continue;
		shown++;
		put(r, "<tr><td>");
		if (str_member(c, "column"))
		{
			put(r, "<code>");
			put_text(r, str_member(c, "column"), 48);
			put(r, "</code>");
		}
		else
			put(r, NOT_AVAILABLE);
		put(r, "</td><td>");
		put_text(r, type ? type : "?", 24);
		if (kind)
		{
			put(r, "<span class=\"kind\">");
			put_text(r, kind, 16);
			put(r, "</span>");
		}
		put(r, isfinite(missing) && missing > 0.2 ? "</td><td class=\"num warn\">" :
			"</td><td class=\"num\">");
		put_percent(r, missing);
		put(r, "</td><td class=\"num\">");
		put_count(r, num_or_nan(c, "distinct"));
		put(r, "</td><td>");
		put_badge(r, str_member(c, "role"));
		put(r, "</td><td>");
		if (hist)
			spark_histogram(r, hist);
		else if (top)
			spark_top(r, top);
		else
			put(r, NOT_AVAILABLE);
		put(r, "</td></tr>");
	}
	put(r, "</tbody></table></div>");
	if (shown < arr->n)
		am_str_appendf(&r->out, "<p class=\"note\">The first %d of %d columns are shown.</p>",
					   shown, arr->n);
	section_end(r);
}

/* ---------------------------------------------------------------- warnings */

static void
render_warnings(Report *r)
{
	const AmJson *arr = member(r->doc, "warnings", AM_JSON_ARRAY);
	int			shown = 0;

	section_begin(r, "warnings", "Warnings");
	if (arr == NULL)
		put(r, "<p>" NOT_AVAILABLE "</p>");
	else if (arr->n == 0)
		put(r, "<p class=\"none\">None: training raised no warnings.</p>");
	else
	{
		put(r, "<ul class=\"warnings\">");
		for (int i = 0; i < arr->n && shown < MAX_WARNINGS; i++, shown++)
		{
			put(r, "<li>");
			if (!put_scalar(r, &arr->items[i], LEN_WARNING))
				put_inline(r, &arr->items[i], LEN_WARNING);
			put(r, "</li>");
		}
		put(r, "</ul>");
		if (shown < arr->n)
			am_str_appendf(&r->out, "<p class=\"note\">%d of %d warnings shown.</p>", shown, arr->n);
	}
	section_end(r);
}

static void
render_footer(Report *r)
{
	const char *ext = str_member(r->model, "extension_version");

	put(r, "<footer>Generated by automl");
	if (ext)
	{
		put(r, " ");
		put_text(r, ext, LEN_SHORT);
	}
	put(r, ". Self-contained: no scripts and no external resources.</footer></main></body></html>\n");
}

/* ---------------------------------------------------------------- entry point */

char *
am_report_html(const AmJson *doc, AmErr *err)
{
	Report		r;
	Trial	   *trials;
	int			n_trials;

	if (doc == NULL)
	{
		am_err_set(err, AM_ERR_PARAM, "the report document is missing");
		return NULL;
	}
	if (doc->type != AM_JSON_OBJECT)
	{
		am_err_set(err, AM_ERR_PARAM, "the report document must be a JSON object, not %s",
				   am_json_type_name(doc->type));
		return NULL;
	}
	memset(&r, 0, sizeof(r));
	r.doc = doc;
	r.model = member(doc, "model", AM_JSON_OBJECT);
	r.validation = member(member(r.model, "metrics", AM_JSON_OBJECT), "validation", AM_JSON_OBJECT);
	r.metric = str_member(r.model, "metric");
	if (r.metric == NULL)
		r.metric = str_member(r.validation, "metric");
	r.lower_better = metric_lower_better(r.metric);
	r.task = infer_task(doc, r.model);
	am_str_init(&r.out);

	render_head(&r);
	render_banner(&r);
	render_summary(&r);
	am_check_interrupts();
	trials = read_trials(&r, &n_trials);
	render_leaderboard(&r, trials, n_trials);
	render_progress(&r, trials, n_trials);
	am_free(trials);
	am_check_interrupts();
	render_performance(&r);
	am_check_interrupts();
	render_importance(&r);
	render_profile(&r);
	render_warnings(&r);
	render_footer(&r);
	return r.out.data;
}
