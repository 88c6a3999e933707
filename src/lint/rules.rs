//! The rule table of `monomig lint`: every rule's id, default severity, the
//! dialects it applies to, what it catches, why it matters and the safe
//! alternative. `docs/lint.md` lists the same rules (a test keeps them in step).

use serde::Serialize;

/// How much a finding matters; `error` findings make `monomig lint` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn parse(text: &str) -> Option<Severity> {
        match text {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

/// The SQL dialect of a service, from its URL's backend name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    /// MySQL and MariaDB.
    Mysql,
    Sqlite,
    /// Any other backend: parsed with the generic dialect, dialect-specific rules off.
    Other,
}

impl Dialect {
    /// From SQLAlchemy's backend name (`postgresql`, `mysql`, `mariadb`, `sqlite`, ...).
    pub fn from_backend(name: &str) -> Dialect {
        match name.split('+').next().unwrap_or("") {
            "postgresql" | "postgres" => Dialect::Postgres,
            "mysql" | "mariadb" => Dialect::Mysql,
            "sqlite" => Dialect::Sqlite,
            _ => Dialect::Other,
        }
    }
}

const PG: u8 = 1;
const MY: u8 = 2;
const LITE: u8 = 4;
const ANY: u8 = 8 | PG | MY | LITE;

/// One rule of the table.
#[derive(Debug, Serialize)]
pub struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    /// `postgresql`, `mysql`, `sqlite` or `any`, comma-separated.
    #[serde(serialize_with = "dialect_names")]
    pub dialects: u8,
    /// The squawk rule that catches the same statements, when there is one.
    pub squawk: Option<&'static str>,
    /// One line: what the rule catches.
    pub summary: &'static str,
    /// Why it hurts in production.
    pub why: &'static str,
    /// The safe alternative.
    pub fix: &'static str,
}

fn dialect_names<S: serde::Serializer>(mask: &u8, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&mask_names(*mask))
}

fn mask_names(mask: u8) -> String {
    if mask == ANY {
        return "any".into();
    }
    let mut names = Vec::new();
    for (bit, name) in [(PG, "postgresql"), (MY, "mysql"), (LITE, "sqlite")] {
        if mask & bit != 0 {
            names.push(name);
        }
    }
    names.join(", ")
}

impl Rule {
    pub fn applies_to(&self, dialect: Dialect) -> bool {
        let bit = match dialect {
            Dialect::Postgres => PG,
            Dialect::Mysql => MY,
            Dialect::Sqlite => LITE,
            Dialect::Other => 8,
        };
        self.dialects & bit != 0
    }
}

macro_rules! rule {
    ($id:literal, $sev:ident, $dialects:expr, $squawk:expr, $summary:literal, $why:literal, $fix:literal) => {
        Rule {
            id: $id,
            severity: Severity::$sev,
            dialects: $dialects,
            squawk: $squawk,
            summary: $summary,
            why: $why,
            fix: $fix,
        }
    };
}

/// Every rule, in the order `docs/lint.md` lists them.
pub static RULES: &[Rule] = &[
    rule!(
        "require_concurrent_index_creation",
        Error,
        PG,
        Some("require-concurrent-index-creation"),
        "CREATE INDEX without CONCURRENTLY on an existing table",
        "A plain CREATE INDEX takes a SHARE lock on the table for the whole build: every INSERT, UPDATE and DELETE waits until the index is built, minutes on a big table.",
        "op.create_index(..., postgresql_concurrently=True) inside `with op.get_context().autocommit_block():`."
    ),
    rule!(
        "require_concurrent_index_deletion",
        Error,
        PG,
        Some("require-concurrent-index-deletion"),
        "DROP INDEX without CONCURRENTLY",
        "A plain DROP INDEX takes an ACCESS EXCLUSIVE lock on the index's table: reads and writes wait, and everything queued behind the lock waits too.",
        "op.drop_index(..., postgresql_concurrently=True) inside `with op.get_context().autocommit_block():`."
    ),
    rule!(
        "concurrently_in_transaction",
        Error,
        PG,
        Some("ban-concurrent-index-creation-in-transaction"),
        "CREATE/DROP INDEX CONCURRENTLY inside the migration's transaction",
        "PostgreSQL refuses CONCURRENTLY inside a transaction block (\"cannot run inside a transaction block\"), and Alembic runs PostgreSQL migrations in one: the upgrade fails in production.",
        "Wrap the operation in `with op.get_context().autocommit_block():`, which commits the migration's transaction first."
    ),
    rule!(
        "constraint_missing_not_valid",
        Error,
        PG,
        Some("constraint-missing-not-valid"),
        "ADD CONSTRAINT (foreign key or check) without NOT VALID on an existing table",
        "Adding a validated constraint scans the whole table under a lock that blocks writes (and, for a foreign key, the referenced table too).",
        "Add it NOT VALID (op.create_foreign_key(..., postgresql_not_valid=True) or op.execute(\"... NOT VALID\")), then `ALTER TABLE ... VALIDATE CONSTRAINT` in a later revision, which takes only a SHARE UPDATE EXCLUSIVE lock."
    ),
    rule!(
        "adding_foreign_key_constraint",
        Warning,
        PG | MY,
        Some("adding-foreign-key-constraint"),
        "a column added with an inline REFERENCES (PostgreSQL), or any foreign key added to an existing table (MySQL/MariaDB)",
        "PostgreSQL validates an inline foreign key at once, locking both tables; MySQL and MariaDB add a foreign key with ALGORITHM=COPY unless foreign_key_checks is off, copying the whole table.",
        "PostgreSQL: add the column without REFERENCES, then the constraint NOT VALID, then VALIDATE it in a later revision. MySQL/MariaDB: `SET foreign_key_checks = 0` around the ALTER (the constraint is then not checked for existing rows) or add it while the table is small."
    ),
    rule!(
        "disallowed_unique_constraint",
        Error,
        PG,
        Some("disallowed-unique-constraint"),
        "ADD CONSTRAINT ... UNIQUE on an existing table",
        "Adding a UNIQUE constraint builds its index under an ACCESS EXCLUSIVE lock: reads and writes wait for the whole build.",
        "CREATE UNIQUE INDEX CONCURRENTLY in an autocommit block, then `ALTER TABLE ... ADD CONSTRAINT ... UNIQUE USING INDEX ...`."
    ),
    rule!(
        "adding_primary_key_constraint",
        Error,
        PG,
        Some("adding-serial-primary-key-field"),
        "ADD PRIMARY KEY on an existing table",
        "Adding a primary key builds its unique index under an ACCESS EXCLUSIVE lock and checks every row for NULLs.",
        "CREATE UNIQUE INDEX CONCURRENTLY in an autocommit block, then `ALTER TABLE ... ADD CONSTRAINT ... PRIMARY KEY USING INDEX ...`."
    ),
    rule!(
        "adding_not_nullable_field",
        Error,
        ANY,
        Some("adding-required-field"),
        "a NOT NULL column added to an existing table without a default",
        "The ALTER fails as soon as the table has a row (\"column contains null values\"): fine on an empty development database, broken in production.",
        "Add the column nullable (or with a server_default), backfill it, then make it NOT NULL in a later revision."
    ),
    rule!(
        "setting_not_nullable_field",
        Error,
        PG,
        Some("adding-not-nullable-field"),
        "ALTER COLUMN ... SET NOT NULL on an existing table",
        "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock to check that no row is NULL.",
        "Add `CHECK (col IS NOT NULL) NOT VALID`, VALIDATE it in a later revision, then SET NOT NULL (PostgreSQL 12+ uses the valid check and skips the scan) and drop the check."
    ),
    rule!(
        "adding_field_with_volatile_default",
        Error,
        PG,
        Some("adding-field-with-default"),
        "a column added with a volatile default (random(), gen_random_uuid(), clock_timestamp(), nextval(), serial, ...)",
        "A volatile default is computed for every existing row: PostgreSQL rewrites the whole table under an ACCESS EXCLUSIVE lock (a constant default is free since PostgreSQL 11).",
        "Add the column without a default (or with a constant one), set the default for new rows with ALTER COLUMN SET DEFAULT, and backfill existing rows in batches."
    ),
    rule!(
        "changing_column_type",
        Error,
        PG,
        Some("changing-column-type"),
        "ALTER COLUMN ... TYPE on an existing table",
        "Most type changes rewrite the table and every index on it under an ACCESS EXCLUSIVE lock; the running code may also break on the new type.",
        "Add a new column of the new type, write both, backfill in batches, switch reads, then drop the old column (expand and contract)."
    ),
    rule!(
        "renaming_column",
        Warning,
        ANY,
        Some("renaming-column"),
        "a column renamed",
        "The version of the application still running during the deploy reads and writes the old name and fails until it is replaced.",
        "Add the new column, write both, backfill, move reads, then drop the old one; or rename behind a view."
    ),
    rule!(
        "renaming_table",
        Warning,
        ANY,
        Some("renaming-table"),
        "a table renamed",
        "The version of the application still running during the deploy queries the old name and fails until it is replaced.",
        "Create the new table (or an updatable view under the new name), move the code over, then drop the old name."
    ),
    rule!(
        "dropping_column",
        Warning,
        ANY,
        Some("ban-drop-column"),
        "a column dropped",
        "The running application may still select or insert the column (ORMs list every mapped column), and the data is gone for good.",
        "Stop using the column in the code first (deploy that), then drop it in a later revision."
    ),
    rule!(
        "dropping_table",
        Warning,
        ANY,
        Some("ban-drop-table"),
        "a table dropped",
        "The running application may still use the table, and its data is gone for good.",
        "Stop using the table first (deploy that), keep a backup, then drop it in a later revision."
    ),
    rule!(
        "dropping_database",
        Error,
        ANY,
        Some("ban-drop-database"),
        "a database or schema dropped",
        "Dropping a database or a schema from a migration destroys every table in it.",
        "Drop databases by hand, never from a revision."
    ),
    rule!(
        "ban_drop_not_null",
        Warning,
        PG,
        Some("ban-drop-not-null"),
        "ALTER COLUMN ... DROP NOT NULL",
        "The running application may assume the column is never NULL; once NULLs are written, the older code reading them breaks.",
        "Make sure every reader handles NULL before dropping the constraint."
    ),
    rule!(
        "prefer_bigint_keys",
        Warning,
        PG | MY,
        Some("prefer-bigint-over-int"),
        "an int/serial primary key column",
        "A 32-bit key runs out at 2,147,483,647 rows, and widening the key later rewrites the table and every table referencing it.",
        "Use sa.BigInteger() (bigint / bigserial / identity) for keys."
    ),
    rule!(
        "prefer_identity",
        Warning,
        PG,
        Some("prefer-identity"),
        "a serial/bigserial/smallserial column",
        "serial hides an owned sequence with awkward permissions and copying semantics; SQL-standard identity columns replace it.",
        "sa.Column(..., sa.Identity()) (GENERATED BY DEFAULT AS IDENTITY)."
    ),
    rule!(
        "prefer_text_field",
        Warning,
        PG,
        Some("prefer-text-field"),
        "a varchar(n) column",
        "In PostgreSQL varchar(n) is text with a length check; raising the limit later takes an ACCESS EXCLUSIVE lock (and a rewrite on old versions).",
        "sa.Text() with a CHECK (char_length(col) <= n) constraint when a limit matters."
    ),
    rule!(
        "prefer_timestamptz",
        Warning,
        PG,
        Some("prefer-timestamp-tz"),
        "a timestamp column without time zone",
        "timestamp without time zone stores wall-clock time with no zone: values shift with the server's or the client's zone and comparisons across zones are wrong.",
        "sa.DateTime(timezone=True) (timestamptz)."
    ),
    rule!(
        "ban_char_field",
        Warning,
        PG,
        Some("ban-char-field"),
        "a char(n) column",
        "char(n) pads values with spaces, which leak into comparisons and application code, and is never faster than text in PostgreSQL.",
        "sa.Text() (or varchar without a length)."
    ),
    rule!(
        "require_lock_timeout",
        Warning,
        PG | MY,
        Some("require-lock-timeout"),
        "locking DDL on an existing table with no lock_timeout",
        "Without a lock timeout, DDL queued behind one long transaction waits for ever, and every query on the table queues behind the DDL: the whole application stalls.",
        "Set `monomig.lock_timeout = 5s` in the service's section (monomig sets it on the migration's connection), or op.execute(\"SET lock_timeout = '5s'\") (MySQL/MariaDB: lock_wait_timeout) at the top of upgrade()."
    ),
    rule!(
        "require_statement_timeout",
        Warning,
        PG | MY,
        Some("require-statement-timeout"),
        "locking DDL on an existing table with no statement_timeout",
        "A statement that runs longer than expected (a rewrite, a scan) holds its lock for as long as it runs; a statement timeout bounds the outage.",
        "Set `monomig.statement_timeout = 60s` in the service's section, or op.execute(\"SET statement_timeout = '60s'\") (MariaDB: max_statement_time) at the top of upgrade()."
    ),
    rule!(
        "prefer_robust_stmts",
        Warning,
        PG,
        Some("prefer-robust-stmts"),
        "DDL outside a transaction without IF [NOT] EXISTS",
        "Statements in an autocommit block are not rolled back when a later one fails: running the revision again then fails on what the first try left behind.",
        "Use IF NOT EXISTS / IF EXISTS (op.create_index(..., if_not_exists=True), op.drop_index(..., if_exists=True))."
    ),
    rule!(
        "transaction_nesting",
        Error,
        PG,
        Some("transaction-nesting"),
        "BEGIN, COMMIT or ROLLBACK executed by a revision",
        "Alembic manages the migration's transaction; a raw COMMIT or BEGIN splits it, so a failure leaves half a migration applied and the version table wrong.",
        "Use `with op.get_context().autocommit_block():` for statements that must run outside the transaction."
    ),
    rule!(
        "ban_truncate_cascade",
        Error,
        PG,
        Some("ban-truncate-cascade"),
        "TRUNCATE ... CASCADE",
        "CASCADE truncates every table with a foreign key to this one, recursively: far more data than the statement names.",
        "Truncate the tables you mean by name."
    ),
    rule!(
        "mysql_copying_alter",
        Error,
        MY,
        None,
        "an ALTER TABLE that MySQL/MariaDB runs by copying the table (column type change, MODIFY/CHANGE COLUMN, primary key change, CONVERT TO CHARACTER SET)",
        "ALGORITHM=COPY rebuilds the table row by row and blocks writes (DML) for the whole copy; MySQL picks it silently when INSTANT or INPLACE are impossible.",
        "State the algorithm so MySQL fails instead of copying (`ALGORITHM=INSTANT` / `ALGORITHM=INPLACE, LOCK=NONE` via op.execute), or use an online schema change tool (gh-ost, pt-online-schema-change) for big tables."
    ),
    rule!(
        "sqlite_batch_recreate",
        Warning,
        LITE,
        None,
        "a batch operation that recreates the table (op.batch_alter_table \"move and copy\")",
        "SQLite cannot alter most things in place: Alembic's batch mode creates a new table, copies every row, drops the old one and renames; triggers and views on it are lost and foreign keys pointing at it must be off during the copy.",
        "Expect a full copy on big tables; recreate triggers and views in the same revision; run with PRAGMA foreign_keys=OFF around the batch."
    ),
    rule!(
        "irreversible_revision",
        Info,
        ANY,
        None,
        "a revision whose downgrade() is missing or does nothing",
        "`alembic downgrade` past this revision succeeds but leaves the schema as it was: the version table then lies about the database.",
        "Write the downgrade, or raise NotImplementedError in it so a downgrade stops loudly."
    ),
    rule!(
        "not_renderable",
        Warning,
        ANY,
        None,
        "a revision that raised while its SQL was rendered offline",
        "It usually reads data through op.get_bind(), which offline rendering cannot do, so its SQL could not be linted.",
        "Move data reads out of schema revisions, or allow the finding with the reason (`# monomig: allow[not_renderable] reason` at the top of the file)."
    ),
    rule!(
        "unparsed_statement",
        Warning,
        ANY,
        None,
        "a statement the SQL parser could not read",
        "monomig cannot lint what it cannot parse (a dialect feature its parser lacks, or invalid SQL).",
        "Check the statement by hand; allow the finding with the reason."
    ),
    rule!(
        "invalid_allow",
        Error,
        ANY,
        None,
        "a `# monomig: allow[...]` comment without a reason or naming an unknown rule",
        "An allow without a reason hides why a dangerous statement was accepted; an unknown rule id is a typo that silences nothing.",
        "Write `# monomig: allow[rule_id] why this is safe here` with a rule id from this list."
    ),
    rule!(
        "unused_allow",
        Warning,
        ANY,
        None,
        "a `# monomig: allow[...]` comment that silences nothing",
        "The finding it was written for is gone (or it is on the wrong line); the comment now only misleads.",
        "Remove it, or move it to the line of the op.* call that produces the finding."
    ),
];

pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}
