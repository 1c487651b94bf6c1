-- setup: the data sets the other tests train on (copied from the shared suite; see test/data/README.md)
SET client_min_messages = warning;
CREATE TABLE iris (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sepal_length float8,
    sepal_width float8,
    petal_length float8,
    petal_width float8,
    species text
);
\copy iris (sepal_length, sepal_width, petal_length, petal_width, species) FROM 'test/data/iris.csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE breast_cancer (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mean_radius float8,
    mean_texture float8,
    mean_perimeter float8,
    mean_area float8,
    mean_smoothness float8,
    mean_compactness float8,
    mean_concavity float8,
    mean_concave_points float8,
    mean_symmetry float8,
    mean_fractal_dimension float8,
    radius_error float8,
    texture_error float8,
    perimeter_error float8,
    area_error float8,
    smoothness_error float8,
    compactness_error float8,
    concavity_error float8,
    concave_points_error float8,
    symmetry_error float8,
    fractal_dimension_error float8,
    worst_radius float8,
    worst_texture float8,
    worst_perimeter float8,
    worst_area float8,
    worst_smoothness float8,
    worst_compactness float8,
    worst_concavity float8,
    worst_concave_points float8,
    worst_symmetry float8,
    worst_fractal_dimension float8,
    diagnosis text
);
\copy breast_cancer (mean_radius, mean_texture, mean_perimeter, mean_area, mean_smoothness, mean_compactness, mean_concavity, mean_concave_points, mean_symmetry, mean_fractal_dimension, radius_error, texture_error, perimeter_error, area_error, smoothness_error, compactness_error, concavity_error, concave_points_error, symmetry_error, fractal_dimension_error, worst_radius, worst_texture, worst_perimeter, worst_area, worst_smoothness, worst_compactness, worst_concavity, worst_concave_points, worst_symmetry, worst_fractal_dimension, diagnosis) FROM 'test/data/breast_cancer.csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE diabetes (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    age float8,
    sex float8,
    bmi float8,
    bp float8,
    s1 float8,
    s2 float8,
    s3 float8,
    s4 float8,
    s5 float8,
    s6 float8,
    progression float8
);
\copy diabetes (age, sex, bmi, bp, s1, s2, s3, s4, s5, s6, progression) FROM 'test/data/diabetes.csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE penguins (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    species text,
    island text,
    bill_length_mm float8,
    bill_depth_mm float8,
    flipper_length_mm float8,
    body_mass_g float8,
    sex text
);
\copy penguins (species, island, bill_length_mm, bill_depth_mm, flipper_length_mm, body_mass_g, sex) FROM 'test/data/penguins.csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE mlc_churn (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    state text,
    account_length float8,
    area_code text,
    international_plan text,
    voice_mail_plan text,
    number_vmail_messages float8,
    total_day_minutes float8,
    total_day_calls float8,
    total_day_charge float8,
    total_eve_minutes float8,
    total_eve_calls float8,
    total_eve_charge float8,
    total_night_minutes float8,
    total_night_calls float8,
    total_night_charge float8,
    total_intl_minutes float8,
    total_intl_calls float8,
    total_intl_charge float8,
    number_customer_service_calls float8,
    churn text
);
\copy mlc_churn (state, account_length, area_code, international_plan, voice_mail_plan, number_vmail_messages, total_day_minutes, total_day_calls, total_day_charge, total_eve_minutes, total_eve_calls, total_eve_charge, total_night_minutes, total_night_calls, total_night_charge, total_intl_minutes, total_intl_calls, total_intl_charge, number_customer_service_calls, churn) FROM 'test/data/mlc_churn.csv' WITH (FORMAT csv, HEADER true)
RESET client_min_messages;
SELECT count(*) AS iris FROM iris;
SELECT count(*) AS breast_cancer FROM breast_cancer;
SELECT count(*) AS diabetes FROM diabetes;
SELECT count(*) AS penguins, count(*) FILTER (WHERE sex IS NULL) AS null_sex FROM penguins;
SELECT count(*) AS mlc_churn FROM mlc_churn;
