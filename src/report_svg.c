/*
 * report_svg.c
 *	  Building blocks of the model report (report.h): escaping of text,
 *	  locale-independent number formatting, nice axis ticks, and the SVG
 *	  marks every chart is drawn with (axes, polylines, areas, points, bars,
 *	  text, placeholders, a heat-map colour ramp).
 *
 * Nothing here writes a number that is not finite into the document: data
 * values are mapped through am_plot_x/y, which clamp, and coordinates pass
 * through fmt_coord, which writes 0 for anything that is not finite.
 */
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define FONT_STACK "system-ui, -apple-system, Segoe UI, Roboto, Helvetica Neue, Arial, sans-serif"
#define AXIS_COLOUR "#9aa5b1"
#define GRID_COLOUR "#e9ecef"
#define LABEL_COLOUR "#52606d"
#define TITLE_COLOUR "#323f4b"
#define REPLACEMENT "\xef\xbf\xbd"	/* U+FFFD */

/* ---------------------------------------------------------------- text */

/*
 * Length of the valid UTF-8 sequence at p (1 to 4) and its code point, or 0
 * when it is not valid (overlong forms, surrogates and values beyond
 * U+10FFFF are not).  p is NUL-terminated, so a truncated sequence stops at
 * the terminator, which is no continuation byte.
 */
static int
utf8_decode(const unsigned char *p, unsigned *cp)
{
	unsigned	c = p[0];
	unsigned	lo = 0x80,
				hi = 0xBF;
	int			len;

	if (c < 0x80)
	{
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF)
	{
		len = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	}
	else if (c >= 0xF0 && c <= 0xF4)
	{
		len = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	}
	else
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (int i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xBF)
			return 0;
	*cp = c & (0xFF >> (len + 1));
	for (int i = 1; i < len; i++)
		*cp = (*cp << 6) | (p[i] & 0x3F);
	return len;
}

/* Characters XML 1.0 allows in a document (less the C1 controls). */
static bool
xml_char_ok(unsigned cp)
{
	if (cp == 0x09 || cp == 0x0A || cp == 0x0D)
		return true;
	if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
		return false;
	return cp != 0xFFFE && cp != 0xFFFF;
}

void
am_html_text(AmStr *s, const char *text, size_t max_chars)
{
	const unsigned char *p = (const unsigned char *) text;
	size_t		chars = 0;

	if (text == NULL)
		return;
	while (*p)
	{
		unsigned	cp = 0;
		int			len = utf8_decode(p, &cp);

		if (max_chars > 0 && chars == max_chars)
		{
			am_str_append(s, AM_REPORT_ELLIPSIS);
			return;
		}
		chars++;
		if (len == 0)
		{
			am_str_append(s, REPLACEMENT);
			p++;
			continue;
		}
		switch (cp)
		{
			case '&':
				am_str_append(s, "&amp;");
				break;
			case '<':
				am_str_append(s, "&lt;");
				break;
			case '>':
				am_str_append(s, "&gt;");
				break;
			case '"':
				am_str_append(s, "&quot;");
				break;
			case '\'':
				am_str_append(s, "&#39;");
				break;
			case ':':
				am_str_append(s, "&#58;");
				break;
			case '(':
				am_str_append(s, "&#40;");
				break;
			default:
				if (xml_char_ok(cp))
					am_str_appendn(s, (const char *) p, (size_t) len);
				else
					am_str_append(s, REPLACEMENT);
		}
		p += len;
	}
}

/* ---------------------------------------------------------------- numbers */

/*
 * snprintf writes the locale's decimal separator; make it a point whatever
 * the locale (the server keeps LC_NUMERIC at C, other programs may not).
 */
static void
fix_decimal(char *buf)
{
	char	   *in = buf,
			   *out = buf;
	bool		in_sep = false;

	for (; *in; in++)
	{
		bool		numeric = (*in >= '0' && *in <= '9') || *in == '-' || *in == '+' ||
			*in == 'e' || *in == '.';

		if (numeric)
		{
			*out++ = *in;
			in_sep = false;
		}
		else if (!in_sep)
		{
			*out++ = '.';
			in_sep = true;
		}
	}
	*out = '\0';
}

/* "1.5e-05" -> "1.5e-5", "1e+20" -> "1e20" */
static void
tidy_exponent(char *buf)
{
	char	   *e = strchr(buf, 'e');
	char	   *d;

	if (e == NULL)
		return;
	d = e + 1;
	if (*d == '+')
		memmove(d, d + 1, strlen(d + 1) + 1);
	else if (*d == '-')
		d++;
	while (d[0] == '0' && d[1] != '\0')
		memmove(d, d + 1, strlen(d + 1) + 1);
}

char *
am_fmt_num(char *buf, size_t size, double v, int sig)
{
	double		a = fabs(v);

	if (size == 0)
		return buf;
	if (sig < 1)
		sig = 1;
	if (sig > 15)
		sig = 15;
	if (!isfinite(v))
	{
		snprintf(buf, size, "n/a");
		return buf;
	}
	if (v == 0.0)
		snprintf(buf, size, "0");
	else if (a < 1e15 && v == floor(v))
		snprintf(buf, size, "%.0f", v);
	else if (a >= pow(10.0, sig) && a < 1e15)
		snprintf(buf, size, "%.0f", v);
	else
		snprintf(buf, size, "%.*g", sig, v);
	fix_decimal(buf);
	tidy_exponent(buf);
	if (strcmp(buf, "-0") == 0)
		snprintf(buf, size, "0");
	return buf;
}

char *
am_fmt_count(char *buf, size_t size, double v)
{
	char		digits[32];
	size_t		n,
				o = 0,
				start = 0;

	if (!isfinite(v) || fabs(v) >= 1e15)
		return am_fmt_num(buf, size, v, 3);
	snprintf(digits, sizeof(digits), "%.0f", v);
	fix_decimal(digits);
	if (strcmp(digits, "-0") == 0)
		snprintf(digits, sizeof(digits), "0");
	n = strlen(digits);
	if (digits[0] == '-')
		start = 1;
	for (size_t i = 0; i < n && o + 2 < size; i++)
	{
		if (i > start && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	if (size > 0)
		buf[o < size ? o : size - 1] = '\0';
	return buf;
}

char *
am_fmt_tick(char *buf, size_t size, double v, double step)
{
	int			decimals;

	if (!isfinite(v) || !isfinite(step) || step <= 0.0)
		return am_fmt_num(buf, size, v, 3);
	if (fabs(v) < step * 1e-6)
		v = 0.0;
	if (step < 1e-4 || fabs(v) >= 1e7)
		return am_fmt_num(buf, size, v, 3);
	decimals = step >= 1.0 ? 0 : (int) ceil(-log10(step) - 1e-9);
	if (decimals < 0)
		decimals = 0;
	if (decimals > 8)
		decimals = 8;
	snprintf(buf, size, "%.*f", decimals, v);
	fix_decimal(buf);
	if (strcmp(buf, "-0") == 0 || (buf[0] == '-' && strspn(buf + 1, "0.") == strlen(buf + 1)))
		memmove(buf, buf + 1, strlen(buf));
	return buf;
}

char *
am_fmt_score(char *buf, size_t size, double v)
{
	double		a = fabs(v);
	int			decimals;

	if (!isfinite(v) || a >= 1e5 || (a < 1e-3 && v != 0.0))
		return am_fmt_num(buf, size, v, 4);
	decimals = a < 10 ? 4 : a < 100 ? 3 : a < 1000 ? 2 : a < 10000 ? 1 : 0;
	snprintf(buf, size, "%.*f", decimals, v);
	fix_decimal(buf);
	if (buf[0] == '-' && strspn(buf + 1, "0.") == strlen(buf + 1))
		memmove(buf, buf + 1, strlen(buf));
	return buf;
}

/* An SVG coordinate or length: one decimal, 0 when not finite. */
static void
append_coord(AmStr *s, double v)
{
	char		buf[32];

	if (!isfinite(v))
		v = 0.0;
	if (v > 1e6)
		v = 1e6;
	if (v < -1e6)
		v = -1e6;
	snprintf(buf, sizeof(buf), "%.1f", v);
	fix_decimal(buf);
	if (strcmp(buf, "-0.0") == 0)
		snprintf(buf, sizeof(buf), "0.0");
	am_str_append(s, buf);
}

/* name="v" with v a coordinate */
static void
attr_coord(AmStr *s, const char *name, double v)
{
	am_str_append(s, " ");
	am_str_append(s, name);
	am_str_append(s, "=\"");
	append_coord(s, v);
	am_str_append(s, "\"");
}

/* ---------------------------------------------------------------- axes */

static void
axis_two_ticks(AmAxis *a, double lo, double hi)
{
	a->lo = lo;
	a->hi = hi;
	a->step = hi - lo;
	a->n_ticks = 2;
	a->ticks[0] = lo;
	a->ticks[1] = hi;
}

bool
am_axis_nice(AmAxis *a, double lo, double hi, int target)
{
	double		span,
				raw,
				mag,
				r,
				step,
				k0,
				k1;

	if (!isfinite(lo) || !isfinite(hi))
		return false;
	if (lo > hi)
	{
		double		t = lo;

		lo = hi;
		hi = t;
	}
	span = hi - lo;
	if (!isfinite(span))
		return false;
	if (span <= fabs(lo) * 1e-9 || span <= fabs(hi) * 1e-9 || span == 0.0)
	{
		/* widen a zero-width range around its value, inward at the limits */
		double		pad = fabs(lo) > 1e-200 ? fabs(lo) * 0.1 : 1.0;

		lo = isfinite(lo - pad) ? lo - pad : lo;
		hi = isfinite(hi + pad) ? hi + pad : hi;
		span = hi - lo;
		if (!isfinite(span) || span <= 0.0)
			return false;
	}
	if (target < 2)
		target = 2;
	if (target > 10)
		target = 10;
	raw = span / target;
	mag = pow(10.0, floor(log10(raw)));
	if (!(mag > 0.0) || !isfinite(mag))
	{
		/* a range too narrow for decimal steps (subnormal numbers) */
		axis_two_ticks(a, lo, hi);
		return true;
	}
	r = raw / mag;
	step = (r <= 1.0 + 1e-9 ? 1.0 : r <= 2.0 + 1e-9 ? 2.0 : r <= 5.0 + 1e-9 ? 5.0 : 10.0) * mag;
	/* a value within rounding of a tick is on it */
	k0 = floor(lo / step + 1e-9);
	k1 = ceil(hi / step - 1e-9);
	if (!isfinite(step) || step <= 0.0 || !isfinite(k0 * step) || !isfinite(k1 * step) ||
		k1 - k0 + 1 > AM_REPORT_MAX_TICKS || k1 - k0 < 1 || k1 * step <= k0 * step)
	{
		axis_two_ticks(a, lo, hi);
		return true;
	}
	a->lo = k0 * step;
	a->hi = k1 * step;
	a->step = step;
	a->n_ticks = (int) (k1 - k0) + 1;
	for (int i = 0; i < a->n_ticks; i++)
		a->ticks[i] = (k0 + i) * step;
	return true;
}

void
am_axis_fixed(AmAxis *a, double lo, double hi, double step)
{
	double		n = floor((hi - lo) / step + 0.5) + 1;

	if (!(n >= 2) || n > AM_REPORT_MAX_TICKS)
	{
		axis_two_ticks(a, lo, hi);
		return;
	}
	a->lo = lo;
	a->hi = hi;
	a->step = step;
	a->n_ticks = (int) n;
	for (int i = 0; i < a->n_ticks; i++)
		a->ticks[i] = lo + i * step;
}

/* Share of the axis range at v, clamped to [-0.02, 1.02]; 0.5 if unknown. */
static double
axis_share(const AmAxis *a, double v)
{
	double		t;

	if (!(a->hi > a->lo))
		return 0.5;
	t = (v - a->lo) / (a->hi - a->lo);
	if (isnan(t))
		return 0.5;
	if (t < -0.02)
		t = -0.02;
	if (t > 1.02)
		t = 1.02;
	return t;
}

double
am_plot_x(const AmPlot *p, double v)
{
	return p->left + axis_share(&p->x, v) * p->width;
}

double
am_plot_y(const AmPlot *p, double v)
{
	return p->top + (1.0 - axis_share(&p->y, v)) * p->height;
}

/* ---------------------------------------------------------------- SVG elements */

void
am_svg_begin(AmStr *s, int width, int height, const char *label)
{
	am_str_appendf(s, "<svg class=\"chart\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
				   "role=\"img\" font-family=\"" FONT_STACK "\" aria-label=\"",
				   width, height, width, height);
	am_html_text(s, label ? label : "chart", 200);
	am_str_append(s, "\">");
}

void
am_svg_end(AmStr *s)
{
	am_str_append(s, "</svg>");
}

void
am_svg_line(AmStr *s, double x1, double y1, double x2, double y2,
			const char *colour, double width, const char *dash)
{
	am_str_append(s, "<line");
	attr_coord(s, "x1", x1);
	attr_coord(s, "y1", y1);
	attr_coord(s, "x2", x2);
	attr_coord(s, "y2", y2);
	am_str_appendf(s, " stroke=\"%s\"", colour);
	attr_coord(s, "stroke-width", width);
	if (dash)
		am_str_appendf(s, " stroke-dasharray=\"%s\"", dash);
	am_str_append(s, "/>");
}

void
am_svg_text(AmStr *s, double x, double y, const char *anchor, double size,
			const char *fill, bool bold, double rotate, const char *text, size_t max_chars)
{
	am_str_append(s, "<text");
	attr_coord(s, "x", x);
	attr_coord(s, "y", y);
	am_str_appendf(s, " text-anchor=\"%s\" fill=\"%s\"", anchor, fill);
	attr_coord(s, "font-size", size);
	if (bold)
		am_str_append(s, " font-weight=\"600\"");
	if (rotate != 0.0)
	{
		am_str_append(s, " transform=\"rotate(");
		append_coord(s, rotate);
		am_str_append(s, " ");
		append_coord(s, x);
		am_str_append(s, " ");
		append_coord(s, y);
		am_str_append(s, ")\"");
	}
	am_str_append(s, ">");
	am_html_text(s, text, max_chars);
	am_str_append(s, "</text>");
}

void
am_svg_axes(const AmPlot *p, const char *x_title, const char *y_title)
{
	AmStr	   *s = p->s;
	double		bottom = p->top + p->height;
	char		buf[48];

	am_str_append(s, "<g>");
	for (int i = 0; i < p->y.n_ticks; i++)
	{
		double		y = am_plot_y(p, p->y.ticks[i]);

		am_svg_line(s, p->left, y, p->left + p->width, y, GRID_COLOUR, 1, NULL);
		am_svg_text(s, p->left - 6, y + 3.5, "end", 11, LABEL_COLOUR, false, 0,
					am_fmt_tick(buf, sizeof(buf), p->y.ticks[i], p->y.step), 0);
	}
	for (int i = 0; i < p->x.n_ticks; i++)
	{
		double		x = am_plot_x(p, p->x.ticks[i]);

		am_svg_line(s, x, p->top, x, bottom, GRID_COLOUR, 1, NULL);
		am_svg_line(s, x, bottom, x, bottom + 4, AXIS_COLOUR, 1, NULL);
		am_svg_text(s, x, bottom + 16, "middle", 11, LABEL_COLOUR, false, 0,
					am_fmt_tick(buf, sizeof(buf), p->x.ticks[i], p->x.step), 0);
	}
	am_svg_line(s, p->left, bottom, p->left + p->width, bottom, AXIS_COLOUR, 1, NULL);
	am_svg_line(s, p->left, p->top, p->left, bottom, AXIS_COLOUR, 1, NULL);
	if (x_title)
		am_svg_text(s, p->left + p->width / 2, bottom + 34, "middle", 12, TITLE_COLOUR, false, 0,
					x_title, 80);
	if (y_title)
		am_svg_text(s, p->left - 44, p->top + p->height / 2, "middle", 12, TITLE_COLOUR, false,
					-90, y_title, 60);
	am_str_append(s, "</g>");
}

/* " x,y" pairs of the finite points; returns how many were written. */
static int
append_points(const AmPlot *p, const double *x, const double *y, int n)
{
	int			written = 0;

	for (int i = 0; i < n; i++)
	{
		if (!isfinite(x[i]) || !isfinite(y[i]))
			continue;
		if (written++ > 0)
			am_str_append(p->s, " ");
		append_coord(p->s, am_plot_x(p, x[i]));
		am_str_append(p->s, ",");
		append_coord(p->s, am_plot_y(p, y[i]));
	}
	return written;
}

void
am_svg_polyline(const AmPlot *p, const double *x, const double *y, int n,
				const char *colour, double width, const char *dash)
{
	if (n < 2)
		return;
	am_str_appendf(p->s, "<polyline fill=\"none\" stroke=\"%s\" stroke-linejoin=\"round\"", colour);
	attr_coord(p->s, "stroke-width", width);
	if (dash)
		am_str_appendf(p->s, " stroke-dasharray=\"%s\"", dash);
	am_str_append(p->s, " points=\"");
	append_points(p, x, y, n);
	am_str_append(p->s, "\"/>");
}

void
am_svg_area(const AmPlot *p, const double *x, const double *y, int n,
			const char *colour, double opacity)
{
	double		first = NAN,
				last = NAN;
	double		base = p->top + p->height;

	for (int i = 0; i < n; i++)
	{
		if (!isfinite(x[i]) || !isfinite(y[i]))
			continue;
		if (isnan(first))
			first = am_plot_x(p, x[i]);
		last = am_plot_x(p, x[i]);
	}
	if (isnan(first))
		return;
	am_str_appendf(p->s, "<polygon fill=\"%s\"", colour);
	attr_coord(p->s, "fill-opacity", opacity);
	am_str_append(p->s, " stroke=\"none\" points=\"");
	append_points(p, x, y, n);
	am_str_append(p->s, " ");
	append_coord(p->s, last);
	am_str_append(p->s, ",");
	append_coord(p->s, base);
	am_str_append(p->s, " ");
	append_coord(p->s, first);
	am_str_append(p->s, ",");
	append_coord(p->s, base);
	am_str_append(p->s, "\"/>");
}

void
am_svg_points(const AmPlot *p, const double *x, const double *y, int n,
			  const double *radius, double r, const char *const *colours,
			  const char *colour, double opacity)
{
	am_str_appendf(p->s, "<g fill=\"%s\"", colour);
	attr_coord(p->s, "fill-opacity", opacity);
	am_str_append(p->s, ">");
	for (int i = 0; i < n; i++)
	{
		double		ri = radius ? radius[i] : r;

		if (!isfinite(x[i]) || !isfinite(y[i]) || !isfinite(ri))
			continue;
		am_str_append(p->s, "<circle");
		attr_coord(p->s, "cx", am_plot_x(p, x[i]));
		attr_coord(p->s, "cy", am_plot_y(p, y[i]));
		attr_coord(p->s, "r", ri);
		if (colours && colours[i])
			am_str_appendf(p->s, " fill=\"%s\"", colours[i]);
		am_str_append(p->s, "/>");
	}
	am_str_append(p->s, "</g>");
}

void
am_svg_rect(AmStr *s, double x, double y, double w, double h,
			const char *fill, double opacity, const char *title)
{
	am_str_append(s, "<rect");
	attr_coord(s, "x", x);
	attr_coord(s, "y", y);
	attr_coord(s, "width", isfinite(w) && w > 0.0 ? w : 0.0);
	attr_coord(s, "height", isfinite(h) && h > 0.0 ? h : 0.0);
	am_str_appendf(s, " fill=\"%s\"", fill);
	if (opacity < 1.0)
		attr_coord(s, "fill-opacity", opacity);
	if (title)
	{
		am_str_append(s, "><title>");
		am_html_text(s, title, 200);
		am_str_append(s, "</title></rect>");
	}
	else
		am_str_append(s, "/>");
}

void
am_svg_placeholder(AmStr *s, int width, int height, const char *message)
{
	am_svg_begin(s, width, height, message);
	am_str_appendf(s, "<rect x=\"1\" y=\"1\" width=\"%d\" height=\"%d\" rx=\"6\" fill=\"#fafbfc\" "
				   "stroke=\"#d9dee3\" stroke-dasharray=\"4 4\"/>", width - 2, height - 2);
	am_svg_text(s, width / 2.0, height / 2.0 + 4, "middle", 13, "#7b8794", false, 0, message, 90);
	am_svg_end(s);
}

/* ---------------------------------------------------------------- colours, sampling */

void
am_colour_ramp(double t, char out[8])
{
	/* a sequential blue ramp (ColorBrewer "Blues") */
	static const unsigned char stops[][3] = {
		{0xf7, 0xfb, 0xff}, {0xde, 0xeb, 0xf7}, {0xc6, 0xdb, 0xef}, {0x9e, 0xca, 0xe1},
		{0x6b, 0xae, 0xd6}, {0x42, 0x92, 0xc6}, {0x21, 0x71, 0xb5}, {0x08, 0x51, 0x9c},
		{0x08, 0x30, 0x6b}
	};
	const int	last = (int) (sizeof(stops) / sizeof(stops[0])) - 1;
	double		pos;
	int			k;
	double		f;
	int			rgb[3];

	if (!isfinite(t) || t < 0.0)
		t = 0.0;
	if (t > 1.0)
		t = 1.0;
	pos = t * last;
	k = (int) floor(pos);
	if (k >= last)
		k = last - 1;
	f = pos - k;
	for (int c = 0; c < 3; c++)
		rgb[c] = (int) floor(stops[k][c] + (stops[k + 1][c] - stops[k][c]) * f + 0.5);
	snprintf(out, 8, "#%02x%02x%02x", rgb[0] & 0xff, rgb[1] & 0xff, rgb[2] & 0xff);
}

bool
am_colour_ramp_dark(double t)
{
	return isfinite(t) && t > 0.55;
}

int
am_downsample(int n, int max, int *idx)
{
	if (n <= 0)
		return 0;
	if (max < 2)
		max = 2;
	if (n <= max)
	{
		for (int i = 0; i < n; i++)
			idx[i] = i;
		return n;
	}
	for (int k = 0; k < max; k++)
		idx[k] = (int) floor((double) k * (n - 1) / (max - 1) + 0.5);
	return max;
}
