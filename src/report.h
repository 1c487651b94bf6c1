/*
 * report.h
 *	  The model report: one self-contained HTML document (inline CSS and
 *	  inline SVG charts, no script, no external URL) rendered from the JSON
 *	  document automl.report() gathers (report.c), and the text and chart
 *	  building blocks it is made of (report_svg.c).  Pure.
 *
 * The output is XHTML-compatible: every element is closed, attributes are
 * quoted, and all text from the document is escaped, so an XML parser reads
 * it.  Its size is bounded whatever the input: points per chart, rows per
 * table, members shown per object and characters per string are capped.
 */
#ifndef AUTOML_REPORT_H
#define AUTOML_REPORT_H

#include "json.h"

/* Render the report document; NULL with err set when the document is unusable. */
extern char *am_report_html(const AmJson *doc, AmErr *err);

/*
 * Building blocks shared by report.c and report_svg.c (and the unit tests);
 * not meant for other callers.
 */

#define AM_REPORT_MAX_TICKS 16
#define AM_REPORT_ELLIPSIS "\xe2\x80\xa6"	/* U+2026 */

/*
 * Text content or an attribute value: escapes & < > " ' (and : and ( so
 * that user text never reads as a URL scheme or a CSS url()), replaces
 * invalid UTF-8 and characters XML forbids with U+FFFD, and shows at most
 * max_chars characters (0: no limit), ending a cut string with an ellipsis.
 */
extern void am_html_text(AmStr *s, const char *text, size_t max_chars);

/*
 * Numbers as text, locale-independent.  am_fmt_num: integers in full below
 * 1e15, others with sig significant digits (exponent form only when very
 * small or large); "n/a" for NaN and infinities.  am_fmt_count: an integer
 * with thousands separators.  am_fmt_tick: an axis label, with as many
 * decimals as the tick step needs.  Each returns buf.
 */
extern char *am_fmt_num(char *buf, size_t size, double v, int sig);
extern char *am_fmt_count(char *buf, size_t size, double v);
extern char *am_fmt_tick(char *buf, size_t size, double v, double step);
/* A score for a column of scores: five significant digits, zeros kept. */
extern char *am_fmt_score(char *buf, size_t size, double v);

/* An axis: the data range widened to nice tick values (1, 2, 5 x 10^k). */
typedef struct AmAxis
{
	double		lo;
	double		hi;
	double		step;
	int			n_ticks;
	double		ticks[AM_REPORT_MAX_TICKS];
} AmAxis;

/*
 * Nice ticks covering [lo, hi] with about target ticks.  A zero-width range
 * is widened around its value.  False (axis untouched) when lo or hi is not
 * finite or the range overflows.
 */
extern bool am_axis_nice(AmAxis *a, double lo, double hi, int target);
/* Fixed ticks lo, lo + step, ... hi (e.g. 0 to 1 by 0.2 for probabilities). */
extern void am_axis_fixed(AmAxis *a, double lo, double hi, double step);

/* A plot area inside an SVG element: pixel box and the two axes. */
typedef struct AmPlot
{
	AmStr	   *s;
	double		left;			/* plot area, in SVG units */
	double		top;
	double		width;
	double		height;
	AmAxis		x;
	AmAxis		y;
} AmPlot;

/* Data to SVG coordinates, clamped to just outside the plot area. */
extern double am_plot_x(const AmPlot *p, double v);
extern double am_plot_y(const AmPlot *p, double v);

/* <svg> element of a chart (label: its accessible name) and its end. */
extern void am_svg_begin(AmStr *s, int width, int height, const char *label);
extern void am_svg_end(AmStr *s);

/* Grid lines, axis lines, tick labels and axis titles (either may be NULL). */
extern void am_svg_axes(const AmPlot *p, const char *x_title, const char *y_title);

/*
 * Marks.  colour is one of the report's own colour constants, never text
 * from the document.  dash: NULL for a solid line, else e.g. "5 4".
 */
extern void am_svg_polyline(const AmPlot *p, const double *x, const double *y, int n,
							const char *colour, double width, const char *dash);
/* The area between a curve and the bottom of the y axis. */
extern void am_svg_area(const AmPlot *p, const double *x, const double *y, int n,
						const char *colour, double opacity);
/* Circles; radius[i] when radius is not NULL, else r; colours[i] likewise. */
extern void am_svg_points(const AmPlot *p, const double *x, const double *y, int n,
						  const double *radius, double r, const char *const *colours,
						  const char *colour, double opacity);
extern void am_svg_line(AmStr *s, double x1, double y1, double x2, double y2,
						const char *colour, double width, const char *dash);
/* A rectangle; title (escaped) becomes its tooltip when not NULL. */
extern void am_svg_rect(AmStr *s, double x, double y, double w, double h,
						const char *fill, double opacity, const char *title);
/*
 * Text (escaped, at most max_chars characters); anchor start|middle|end;
 * rotate: degrees around (x, y), 0 for none.
 */
extern void am_svg_text(AmStr *s, double x, double y, const char *anchor, double size,
						const char *fill, bool bold, double rotate, const char *text,
						size_t max_chars);
/* A framed box of the chart's size with a message instead of the chart. */
extern void am_svg_placeholder(AmStr *s, int width, int height, const char *message);

/* Sequential colour ramp for heat maps, t in [0, 1]: out is "#rrggbb". */
extern void am_colour_ramp(double t, char out[8]);
/* Whether text on ramp colour t should be light. */
extern bool am_colour_ramp_dark(double t);

/*
 * Deterministic downsampling: writes at most max (>= 2) indices of 0..n-1,
 * evenly spread and always keeping the first and the last; returns how many.
 */
extern int	am_downsample(int n, int max, int *idx);

#endif							/* AUTOML_REPORT_H */
