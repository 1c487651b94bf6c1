#!/usr/bin/env bash
# test/report.sh: the reports of a binary, a multiclass and a regression
# model, trained and rendered through SQL, opened in headless Chromium.
#
# For each model: automl.report() is written to an HTML file, which
# test/report/render.sh checks (well-formed XML, no <script, no URL) and
# screenshots with every host name unresolvable and a net log (no request
# made by the page, image not blank).  The pages and PNGs stay in
# test/artifacts/report-sql/ for a person to look at.  Installs Debian's
# chromium when it is missing.  Run by test/check.sh.
cd "$(dirname "$0")/.."
. test/lib/common.sh
. test/lib/cluster.sh
. test/lib/assert.sh

out=test/artifacts/report-sql
rm -rf "$out" && mkdir -p "$out"
dir=$(cluster_dir report)
trap 'cluster_stop; rm -rf "$dir"' EXIT
trap 'exit 130' INT TERM
cluster_start "$dir"
q -d postgres -c "CREATE DATABASE report" >/dev/null
export PGDATABASE=report
q -c "CREATE EXTENSION automl" >/dev/null
q -f sql/setup.sql >/dev/null		# the regression suite's data sets
q >/dev/null <<'SQL'
SET automl.progress = off;
SET client_min_messages = warning;
SELECT automl.train('churn', 'mlc_churn', 'churn', exclude => '{id}', time_budget => '10 s');
SELECT automl.train('penguins', 'penguins', 'species', exclude => '{id}', time_budget => '5 s');
SELECT automl.train('diabetes', 'diabetes', 'progression', exclude => '{id}', time_budget => '5 s');
SQL
for m in churn penguins diabetes; do
	q -c "SELECT automl.report('$m')" > "$out/$m.html"
	check "report of $m has every section" \
		test "$(grep -o '<section id="[a-z]*">' "$out/$m.html" | wc -l)" -eq 7
done
check "the binary report has ROC and PR curves" grep -q 'Precision-recall curve' "$out/churn.html"
check "the multiclass report has a confusion matrix" grep -q 'Confusion matrix' "$out/penguins.html"
check "the regression report has predicted against actual" grep -q 'Predicted vs actual' "$out/diabetes.html"
for m in churn penguins diabetes; do	# a chart without data is a dashed placeholder box
	check "every chart of $m has data" bash -c "! grep -q 'stroke-dasharray=\"4 4\"/>' '$out/$m.html'"
done
check "Chromium renders them, without a request, not blank" \
	test/report/render.sh -o "$out" "$out/churn.html" "$out/penguins.html" "$out/diabetes.html"
check "no crash" bash -c "! grep -q 'terminated by signal' '$dir/server.log'"
assert_summary "report"
