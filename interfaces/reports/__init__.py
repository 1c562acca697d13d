"""Report files: rendering a report (projections/queries/report_model.py) to CSV, Excel or PDF,
and the store that keeps generated files for a while (`ops.report_files`)."""
