"""Plan-data checks, run on the warehouse after ``citystat ingest plan``.

- ``export-duplicate-id``: a Measure ID used by more than one export row in a planning cycle;
- ``export-no-id``: export rows without a Measure ID (quarantined by the export load);
- ``values-without-definition``: stored values of a measure version that has no definition, and
  export rows with numbers that match no plan measure;
- ``export-value-differs`` / ``export-value-missing``: the export's value for a measure, year
  and period differs from the plan's tables, or the plan's tables have none;
- ``no-values``: plan measures with a definition but not a single stored value or target.
"""

from __future__ import annotations

from collections import defaultdict

import duckdb

from citystat.catalog.lint import Finding, sort_findings

STORED_AND_EXPORT = """
WITH stored AS (
    SELECT measure_id, period_label AS label, value FROM measure_values
    WHERE engine = 'reported' AND dimension = ''
    QUALIFY version = max(version) OVER (PARTITION BY measure_id)
    UNION ALL
    SELECT measure_id, 'target FY' || fiscal_year, value FROM measure_targets
), export AS (
    SELECT measure_id, value, raw_value,
           CASE period WHEN 'annual' THEN 'FY' || fiscal_year
                       WHEN 'target' THEN 'target FY' || fiscal_year
                       ELSE 'FY' || fiscal_year || ' Q' || right(period, 1) END AS label
    FROM plan_export_resolved
)
SELECT e.measure_id, coalesce(a.agency_name, m.agency_id), m.title, e.label, e.raw_value, e.value, s.value
FROM export e LEFT JOIN stored s USING (measure_id, label)
JOIN plan_measures m USING (measure_id)
LEFT JOIN plan_agencies a USING (agency_id)
ORDER BY m.plan_measure_id, e.label
"""


def lint_plan_data(con: duckdb.DuckDBPyConnection) -> list[Finding]:
    """Every plan-data finding, most serious first."""
    findings = check_duplicate_ids(con) + check_missing_ids(con) + check_orphan_values(con)
    findings += check_unmatched_export(con) + check_export_values(con) + check_no_values(con)
    return sort_findings(findings)


def check_duplicate_ids(con: duckdb.DuckDBPyConnection) -> list[Finding]:
    rows = con.execute(
        "SELECT measure_code, planning_cycle, list(source_row ORDER BY source_row),"
        " list(title ORDER BY source_row), list(r.measure_id ORDER BY source_row),"
        " list(DISTINCT coalesce(g.agency_name, r.agency_id))"
        " FROM plan_export_rows r LEFT JOIN plan_agencies g ON g.agency_id = r.agency_id"
        " GROUP BY ALL HAVING count(*) > 1 ORDER BY measure_code, planning_cycle"
    ).fetchall()
    found = []
    for code, cycle, source_rows, titles, ids, agencies in rows:
        listed = "; ".join(f"row {r}: '{t}'" for r, t in zip(source_rows, titles, strict=True))
        message = (
            f"export Measure ID {code} is used by {len(source_rows)} rows in the FY{cycle} cycle "
            f"({listed}): give each measure its own ID"
        )
        matched = tuple(sorted({i for i in ids if i}))
        found.append(Finding("export-duplicate-id", "warning", matched, message, ", ".join(agencies)))
    return found


def check_missing_ids(con: duckdb.DuckDBPyConnection) -> list[Finding]:
    rows = con.execute(
        "SELECT row_number, raw_value FROM quarantine WHERE reason = 'no Measure ID'"
        " AND load_id = (SELECT max(load_id) FROM load_log WHERE kind = 'plan' AND detail = 'export')"
        " ORDER BY row_number"
    ).fetchall()
    return [
        Finding(
            "export-no-id",
            "warning",
            (),
            f"export row {row} ('{title}') has no Measure ID, so it cannot be tracked; it was not loaded",
        )
        for row, title in rows
    ]


def check_orphan_values(con: duckdb.DuckDBPyConnection) -> list[Finding]:
    rows = con.execute(
        "SELECT v.measure_id, v.version, count(*) FROM measure_values v"
        " ANTI JOIN measure_definitions d USING (measure_id, version)"
        " GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    return [
        Finding(
            "values-without-definition",
            "error",
            (str(measure_id),),
            f"{count} stored value(s) of {measure_id} version {version} have no definition",
        )
        for measure_id, version, count in rows
    ]


def check_unmatched_export(con: duckdb.DuckDBPyConnection) -> list[Finding]:
    rows = con.execute(
        "SELECT coalesce(g.agency_name, r.agency_id), r.title,"
        " list(DISTINCT r.measure_code ORDER BY r.measure_code),"
        " bool_and(r.deprecated), any_value(r.match_method), count(v.value)"
        " FROM plan_export_rows r JOIN plan_export_values v USING (source_row)"
        " LEFT JOIN plan_agencies g ON g.agency_id = r.agency_id"
        " WHERE r.measure_id IS NULL AND v.value IS NOT NULL GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    found = []
    for agency, title, codes, deprecated, method, count in rows:
        state = "marked deprecated" if deprecated else "not deprecated"
        why = (
            "its title fits several plan measures"
            if method == "ambiguous"
            else "no plan measure has its title"
        )
        message = (
            f"the export holds {count} value(s) for '{title}' ({', '.join(codes)}, {state}) but {why}: "
            "values without a definition"
        )
        found.append(Finding("values-without-definition", "warning", (), message, str(agency or "")))
    return found


def check_export_values(con: duckdb.DuckDBPyConnection) -> list[Finding]:
    differs: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    missing: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for measure_id, agency, title, label, raw, value, stored in con.execute(STORED_AND_EXPORT).fetchall():
        key = (str(measure_id), str(agency), str(title))
        if stored is None:
            missing[key].append(f"{label} {raw.strip()}")
        elif abs(value - stored) > 1e-9 * max(1.0, abs(stored)):
            differs[key].append(f"{label}: export {raw.strip()} vs plan {stored:g}")
    found = []
    for (measure_id, agency, title), items in differs.items():
        message = (
            f"{measure_id} '{title}': the export and the plan's tables disagree on {'; '.join(items[:4])}"
        )
        found.append(Finding("export-value-differs", "warning", (measure_id,), message, agency))
    for (measure_id, agency, title), items in missing.items():
        shown = ", ".join(items[:4]) + (f" and {len(items) - 4} more" if len(items) > 4 else "")
        message = (
            f"{measure_id} '{title}': the export has {len(items)} value(s) the plan's tables lack ({shown})"
        )
        found.append(Finding("export-value-missing", "warning", (measure_id,), message, agency))
    return found


def check_no_values(con: duckdb.DuckDBPyConnection) -> list[Finding]:
    rows = con.execute(
        "SELECT coalesce(any_value(g.agency_name), m.agency_id),"
        " list(m.measure_id ORDER BY m.plan_measure_id),"
        " count(*), (SELECT count(*) FROM plan_measures a WHERE a.agency_id = m.agency_id)"
        " FROM plan_measures m LEFT JOIN plan_agencies g USING (agency_id)"
        " WHERE NOT EXISTS (SELECT 1 FROM measure_values v WHERE v.measure_id = m.measure_id)"
        " AND NOT EXISTS (SELECT 1 FROM measure_targets t WHERE t.measure_id = m.measure_id)"
        " GROUP BY m.agency_id ORDER BY 1"
    ).fetchall()
    return [
        Finding(
            "no-values",
            "info",
            tuple(ids),
            f"{agency}: {count} of {total} plan measures have no value and no target in the plan's tables",
            str(agency),
        )
        for agency, ids, count, total in rows
    ]
