"""service_two's tables, as its migrations leave them (target_metadata for autogenerate)."""

import sqlalchemy as sa

metadata = sa.MetaData()

reports = sa.Table(
    "reports",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("status", sa.String(20), nullable=False, server_default="draft"),
)

report_runs = sa.Table(
    "report_runs",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("report_id", sa.Integer(), sa.ForeignKey("reports.id"), nullable=False),
    sa.Column("started_at", sa.DateTime(), nullable=False),
)
