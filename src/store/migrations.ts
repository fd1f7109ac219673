/**
 * Versioned migrations, defined in code so that they ship with the module
 * and need no folder on disk. Kysely's Migrator runs the ones a database has
 * not seen, in name order, and records them in `kysely_migration`.
 *
 * Each migration is written once and never edited afterwards: a change to
 * the schema is a new migration. That is also why the value lists of the
 * check constraints are spelled out here instead of imported from schema.ts
 * (a later change to those lists must not rewrite history).
 *
 * Only portable column types are used (text, boolean, integer), so the same
 * DDL runs on SQLite and PostgreSQL; triggers alone are written per database.
 */
import { sql, type Kysely, type RawBuilder } from "kysely";
import { isPostgres } from "./support.ts";
import type { Migration, MigrationProvider } from "kysely/migration";

/** `column IN ('a', 'b')` for a check constraint. */
function oneOf(column: string, values: readonly string[]): RawBuilder<unknown> {
  return sql`${sql.ref(column)} in (${sql.join(values.map((value) => sql.lit(value)))})`;
}

const initialSchema: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("users")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("email", "text", (column) => column.notNull().unique())
      .addColumn("name", "text", (column) => column.notNull())
      .addColumn("role", "text", (column) => column.notNull())
      .addColumn("password_hash", "text", (column) => column.notNull())
      .addColumn("created_at", "text", (column) => column.notNull())
      .addCheckConstraint("users_role_check", oneOf("role", ["admin", "editor", "viewer"]))
      .execute();

    await db.schema
      .createTable("sessions")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("user_id", "text", (column) => column.notNull().references("users.id").onDelete("cascade"))
      .addColumn("csrf_token", "text", (column) => column.notNull())
      .addColumn("created_at", "text", (column) => column.notNull())
      .addColumn("expires_at", "text", (column) => column.notNull())
      .execute();

    await db.schema
      .createTable("audit_log")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("at", "text", (column) => column.notNull())
      .addColumn("user_id", "text")
      .addColumn("action", "text", (column) => column.notNull())
      .addColumn("entity", "text", (column) => column.notNull())
      .addColumn("entity_id", "text")
      .addColumn("detail", "text")
      .execute();

    await db.schema
      .createTable("institutions")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("name", "text", (column) => column.notNull())
      .addColumn("kind", "text", (column) => column.notNull())
      .addColumn("country", "text")
      .addColumn("region", "text", (column) => column.notNull())
      .addColumn("global_south", "boolean", (column) => column.notNull().defaultTo(false))
      .addColumn("sector", "text")
      .addColumn("created_at", "text", (column) => column.notNull())
      .addColumn("updated_at", "text", (column) => column.notNull())
      .addCheckConstraint(
        "institutions_kind_check",
        oneOf("kind", ["government", "intergovernmental", "regulator", "standards-body", "private-company", "civil-society", "academia"]),
      )
      .execute();

    await db.schema
      .createTable("policies")
      .addColumn("id", "text", (column) => column.primaryKey())
      // Restrict: deleting an institution must not silently take its coded policies with it.
      .addColumn("institution_id", "text", (column) => column.notNull().references("institutions.id").onDelete("restrict"))
      .addColumn("title", "text", (column) => column.notNull())
      .addColumn("type", "text", (column) => column.notNull())
      .addColumn("status", "text", (column) => column.notNull())
      .addColumn("adopted_on", "text")
      .addColumn("source_url", "text")
      .addColumn("language", "text")
      .addColumn("covers_internet", "boolean", (column) => column.notNull().defaultTo(false))
      .addColumn("security_text", "text")
      .addColumn("security_tags", "text", (column) => column.notNull().defaultTo("[]"))
      .addColumn("cites_standards", "boolean", (column) => column.notNull().defaultTo(false))
      .addColumn("other_standards", "text")
      .addColumn("evidence", "text", (column) => column.notNull().defaultTo("[]"))
      .addColumn("best_practice_tags", "text", (column) => column.notNull().defaultTo("[]"))
      .addColumn("barrier_tags", "text", (column) => column.notNull().defaultTo("[]"))
      .addColumn("global_south_tags", "text", (column) => column.notNull().defaultTo("[]"))
      .addColumn("review_state", "text", (column) => column.notNull().defaultTo("draft"))
      .addColumn("reviewed_by", "text", (column) => column.references("users.id").onDelete("set null"))
      .addColumn("created_at", "text", (column) => column.notNull())
      .addColumn("updated_at", "text", (column) => column.notNull())
      .addCheckConstraint(
        "policies_type_check",
        oneOf("type", ["law", "regulation", "policy", "guideline", "tender-template", "model-contract", "standard"]),
      )
      .addCheckConstraint("policies_status_check", oneOf("status", ["draft", "in-force", "repealed"]))
      .addCheckConstraint("policies_review_state_check", oneOf("review_state", ["draft", "reviewed", "published"]))
      .execute();

    await db.schema
      .createTable("policy_categories")
      .addColumn("policy_id", "text", (column) => column.notNull().references("policies.id").onDelete("cascade"))
      .addColumn("category_id", "text", (column) => column.notNull())
      .addPrimaryKeyConstraint("policy_categories_pk", ["policy_id", "category_id"])
      .execute();

    await db.schema
      .createTable("policy_standards")
      .addColumn("policy_id", "text", (column) => column.notNull().references("policies.id").onDelete("cascade"))
      .addColumn("standard_id", "text", (column) => column.notNull())
      .addPrimaryKeyConstraint("policy_standards_pk", ["policy_id", "standard_id"])
      .execute();

    await db.schema
      .createTable("decision_matrices")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("name", "text", (column) => column.notNull())
      .addColumn("owner_id", "text", (column) => column.notNull().references("users.id").onDelete("cascade"))
      .addColumn("definition", "text", (column) => column.notNull())
      .addColumn("created_at", "text", (column) => column.notNull())
      .addColumn("updated_at", "text", (column) => column.notNull())
      .execute();

    // For the list pages and filters, the matrix GROUP BYs and the cleanup of old sessions.
    const indexes: [name: string, table: string, columns: string[]][] = [
      ["sessions_user_id", "sessions", ["user_id"]],
      ["sessions_expires_at", "sessions", ["expires_at"]],
      ["audit_log_at", "audit_log", ["at"]],
      ["audit_log_entity", "audit_log", ["entity", "entity_id"]],
      ["institutions_region", "institutions", ["region"]],
      ["institutions_kind", "institutions", ["kind"]],
      ["institutions_sector", "institutions", ["sector"]],
      ["institutions_country", "institutions", ["country"]],
      ["policies_review_state", "policies", ["review_state"]],
      ["policies_institution_id", "policies", ["institution_id"]],
      // The primary keys lead with policy_id; these serve "which policies cite X".
      ["policy_standards_standard_id", "policy_standards", ["standard_id", "policy_id"]],
      ["policy_categories_category_id", "policy_categories", ["category_id", "policy_id"]],
      ["decision_matrices_owner_id", "decision_matrices", ["owner_id"]],
    ];
    for (const [name, table, columns] of indexes) {
      await db.schema.createIndex(name).on(table).columns(columns).execute();
    }
  },

  async down(db: Kysely<unknown>) {
    for (const table of [
      "decision_matrices",
      "policy_standards",
      "policy_categories",
      "policies",
      "institutions",
      "audit_log",
      "sessions",
      "users",
    ]) {
      await db.schema.dropTable(table).execute();
    }
  },
};

/**
 * Read speed at scale (issue 5: list and matrix pages under 150 ms at p95
 * with 10,000 policies and 50 clients):
 * - the list's orders (title in any case, newest adopted, latest updated)
 *   as indexes that lead with the review state every read filters on, so a
 *   page of 50 is read in index order instead of sorting every match;
 * - `data_revision`, one counter that the database itself raises on every
 *   change to the observatory's tables (triggers): readers compare it to
 *   decide whether a matrix or list page they computed before still holds
 *   (read-cache.ts). Triggers rather than application code, so that no
 *   write can forget it: not a second server on the same PostgreSQL, not a
 *   restore, not a script or a test that writes with plain SQL.
 */
const CACHED_TABLES = ["institutions", "policies", "policy_categories", "policy_standards"] as const;

const readSpeed: Migration = {
  async up(db: Kysely<unknown>) {
    // Expression indexes: same syntax in SQLite and PostgreSQL; Kysely's
    // builder takes columns or one expression, not both.
    await sql`create index policies_state_title on policies (review_state, lower(title), id)`.execute(db);
    // The id ends each index because it ends each order (a total order, so
    // that pages never overlap).
    await sql`create index policies_state_updated on policies (review_state, updated_at, id)`.execute(db);
    await sql`create index policies_state_adopted on policies (review_state, adopted_on, id)`.execute(db);
    // By institution: institutions in name order, then each one's policies
    // by title, without sorting every policy (24 ms down to 1.2 ms for a
    // page deep in the list).
    await sql`create index institutions_name on institutions (lower(name), id)`.execute(db);
    await sql`create index policies_by_institution on policies (institution_id, review_state, lower(title), id)`.execute(db);
    // Filtered lists start from the link tables or the institutions and look
    // policies up by id; with the review state, the institution and the sort
    // key in the index, counting and ordering those never read the (wide)
    // policy rows: a filtered count went from 3.5 ms to 1.1 ms on 10,000.
    await sql`create index policies_lookup on policies (id, review_state, institution_id, lower(title))`.execute(db);
    await db.schema
      .createTable("data_revision")
      .addColumn("id", "integer", (column) => column.primaryKey())
      .addColumn("revision", "integer", (column) => column.notNull())
      .execute();
    await sql`insert into data_revision (id, revision) values (1, 0)`.execute(db);
    const raise = sql.raw("update data_revision set revision = revision + 1 where id = 1");
    if (isPostgres(db)) {
      // At commit, not at each statement: the update locks the one revision
      // row until the transaction ends, and taken early it made every other
      // writer queue behind a long import, and deadlock with it when the two
      // touched the same rows in the other order. Deferred constraint
      // triggers (row-level only) run at commit, after every other lock; a
      // transaction-local setting makes the first of them raise the revision
      // and the rest (a bulk import's thousands) do nothing.
      await sql`create function baseline_raise_revision() returns trigger language plpgsql as $$
        begin
          if coalesce(current_setting('baseline.revision_raised', true), '') <> 'yes' then
            ${raise};
            perform set_config('baseline.revision_raised', 'yes', true);
          end if;
          return null;
        end $$`.execute(db);
      for (const table of CACHED_TABLES) {
        await sql`create constraint trigger ${sql.raw(`${table}_revision`)} after insert or update or delete on ${sql.table(table)} deferrable initially deferred for each row execute function baseline_raise_revision()`.execute(db);
        // TRUNCATE has statement triggers only, and takes the whole table anyway.
        await sql`create trigger ${sql.raw(`${table}_truncate_revision`)} after truncate on ${sql.table(table)} for each statement execute function baseline_raise_revision()`.execute(db);
      }
    } else {
      // SQLite has row triggers only, and one writer at a time: nothing to
      // wait for or deadlock with; the update of one row costs microseconds.
      for (const table of CACHED_TABLES) {
        for (const event of ["insert", "update", "delete"] as const) {
          await sql`create trigger ${sql.raw(`${table}_${event}_revision`)} after ${sql.raw(event)} on ${sql.table(table)} begin ${raise}; end`.execute(db);
        }
      }
    }
  },

  async down(db: Kysely<unknown>) {
    if (isPostgres(db)) {
      for (const table of CACHED_TABLES) {
        await sql`drop trigger ${sql.raw(`${table}_truncate_revision`)} on ${sql.table(table)}`.execute(db);
        await sql`drop trigger ${sql.raw(`${table}_revision`)} on ${sql.table(table)}`.execute(db);
      }
      await sql`drop function baseline_raise_revision()`.execute(db);
    } else {
      for (const table of CACHED_TABLES) {
        for (const event of ["insert", "update", "delete"]) await sql`drop trigger ${sql.raw(`${table}_${event}_revision`)}`.execute(db);
      }
    }
    await db.schema.dropTable("data_revision").execute();
    await db.schema.dropIndex("policies_lookup").execute();
    await db.schema.dropIndex("policies_by_institution").execute();
    await db.schema.dropIndex("institutions_name").execute();
    await db.schema.dropIndex("policies_state_adopted").execute();
    await db.schema.dropIndex("policies_state_updated").execute();
    await db.schema.dropIndex("policies_state_title").execute();
  },
};

/**
 * Failed logins, per address and per account (src/store/login-throttle.ts):
 * in the database rather than in memory, so that a restart does not forget
 * them, several servers on one PostgreSQL share them, and no flood of other
 * keys can push a key out. Keys are SHA-256 hashes (fixed length, no e-mail
 * address or IP address in clear); times are ISO 8601 text like every other
 * time in the schema. The index serves the pruning of forgotten rows.
 */
const loginThrottle: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("login_throttle")
      .addColumn("key", "text", (column) => column.primaryKey())
      .addColumn("failures", "integer", (column) => column.notNull())
      .addColumn("last_failure_at", "text", (column) => column.notNull())
      .addColumn("lane_at", "text")
      .execute();
    await db.schema.createIndex("login_throttle_last_failure").on("login_throttle").column("last_failure_at").execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable("login_throttle").execute();
  },
};

/**
 * Known devices (src/store/devices.ts): browsers an account signed in from,
 * by the SHA-256 of their cookie's token. They replace the throttle's "lane"
 * for addresses without failures, which an attacker rotating addresses could
 * fill (so its column goes). A deleted user takes their devices along.
 */
const knownDevices: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("login_devices")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("user_id", "text", (column) => column.notNull().references("users.id").onDelete("cascade"))
      .addColumn("created_at", "text", (column) => column.notNull())
      .addColumn("last_used_at", "text", (column) => column.notNull())
      .addColumn("expires_at", "text", (column) => column.notNull())
      .execute();
    await db.schema.createIndex("login_devices_user").on("login_devices").column("user_id").execute();
    await db.schema.alterTable("login_throttle").dropColumn("lane_at").execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.alterTable("login_throttle").addColumn("lane_at", "text").execute();
    await db.schema.dropTable("login_devices").execute();
  },
};

/**
 * Campaigns, contracts and checks at scale (issue 11): portfolios of domains
 * on a schedule, contracts with their required standards, the runs of
 * either and their results, alerts, the batch API's requests and the
 * accounts that may use it. API accounts are a table of their own (not a
 * role of users): they can never hold a session for the pages, by
 * construction; and SQLite cannot widen the users' role check in place.
 *
 * A run's targets (domain × suite) are fixed when it is created; a result
 * is keyed by run, domain and suite, so that writing it twice is a no-op.
 */
const campaigns: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("api_accounts")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("email", "text", (column) => column.notNull().unique())
      .addColumn("name", "text", (column) => column.notNull())
      .addColumn("password_hash", "text", (column) => column.notNull())
      .addColumn("created_at", "text", (column) => column.notNull())
      .execute();

    await db.schema
      .createTable("portfolios")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("name", "text", (column) => column.notNull())
      .addColumn("description", "text")
      .addColumn("suites", "text", (column) => column.notNull().defaultTo("all"))
      .addColumn("schedule", "text", (column) => column.notNull().defaultTo("manual"))
      .addColumn("next_run_at", "text")
      .addColumn("alert_emails", "text", (column) => column.notNull().defaultTo("[]"))
      .addColumn("webhook_url", "text")
      .addColumn("webhook_secret", "text")
      .addColumn("created_at", "text", (column) => column.notNull())
      .addColumn("updated_at", "text", (column) => column.notNull())
      .addCheckConstraint("portfolios_suites_check", oneOf("suites", ["web", "mail", "all"]))
      .execute();

    await db.schema
      .createTable("portfolio_domains")
      .addColumn("portfolio_id", "text", (column) => column.notNull().references("portfolios.id").onDelete("cascade"))
      .addColumn("domain", "text", (column) => column.notNull())
      .addColumn("organisation", "text")
      .addColumn("sector", "text")
      .addColumn("region", "text")
      .addColumn("institution_id", "text", (column) => column.references("institutions.id").onDelete("set null"))
      .addColumn("added_at", "text", (column) => column.notNull())
      .addPrimaryKeyConstraint("portfolio_domains_pk", ["portfolio_id", "domain"])
      .execute();

    await db.schema
      .createTable("contracts")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("title", "text", (column) => column.notNull())
      .addColumn("buyer", "text", (column) => column.notNull())
      .addColumn("supplier", "text", (column) => column.notNull())
      .addColumn("language", "text", (column) => column.notNull().defaultTo("en"))
      .addColumn("categories", "text", (column) => column.notNull().defaultTo("[]"))
      .addColumn("cpv_codes", "text", (column) => column.notNull().defaultTo("[]"))
      .addColumn("standards", "text", (column) => column.notNull().defaultTo("[]"))
      .addColumn("source", "text")
      .addColumn("signed_on", "text")
      .addColumn("deadline_on", "text")
      .addColumn("schedule", "text", (column) => column.notNull().defaultTo("weekly"))
      .addColumn("next_run_at", "text")
      .addColumn("deadline_alerted_at", "text")
      .addColumn("alert_emails", "text", (column) => column.notNull().defaultTo("[]"))
      .addColumn("webhook_url", "text")
      .addColumn("webhook_secret", "text")
      .addColumn("created_at", "text", (column) => column.notNull())
      .addColumn("updated_at", "text", (column) => column.notNull())
      .execute();

    await db.schema
      .createTable("contract_assets")
      .addColumn("contract_id", "text", (column) => column.notNull().references("contracts.id").onDelete("cascade"))
      .addColumn("domain", "text", (column) => column.notNull())
      .addColumn("suite", "text", (column) => column.notNull())
      .addPrimaryKeyConstraint("contract_assets_pk", ["contract_id", "domain", "suite"])
      .addCheckConstraint("contract_assets_suite_check", oneOf("suite", ["web", "mail"]))
      .execute();

    await db.schema
      .createTable("exemptions")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("contract_id", "text", (column) => column.notNull().references("contracts.id").onDelete("cascade"))
      .addColumn("standard", "text", (column) => column.notNull())
      .addColumn("reason", "text", (column) => column.notNull())
      .addColumn("decided_by", "text", (column) => column.notNull())
      .addColumn("expires_on", "text")
      .addColumn("created_at", "text", (column) => column.notNull())
      .execute();

    await db.schema
      .createTable("runs")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("subject_kind", "text", (column) => column.notNull())
      .addColumn("subject_id", "text", (column) => column.notNull())
      .addColumn("slot", "text", (column) => column.notNull())
      .addColumn("status", "text", (column) => column.notNull())
      .addColumn("only_standards", "text")
      .addColumn("total", "integer", (column) => column.notNull())
      .addColumn("created_at", "text", (column) => column.notNull())
      .addColumn("started_at", "text")
      .addColumn("finished_at", "text")
      .addUniqueConstraint("runs_subject_slot", ["subject_kind", "subject_id", "slot"])
      .addCheckConstraint("runs_subject_kind_check", oneOf("subject_kind", ["portfolio", "contract", "batch"]))
      .addCheckConstraint("runs_status_check", oneOf("status", ["queued", "running", "done", "cancelled"]))
      .execute();

    await db.schema
      .createTable("run_targets")
      .addColumn("run_id", "text", (column) => column.notNull().references("runs.id").onDelete("cascade"))
      .addColumn("domain", "text", (column) => column.notNull())
      .addColumn("suite", "text", (column) => column.notNull())
      .addColumn("state", "text", (column) => column.notNull().defaultTo("pending"))
      .addColumn("attempts", "integer", (column) => column.notNull().defaultTo(0))
      .addColumn("not_before", "text")
      .addColumn("lease_until", "text")
      .addPrimaryKeyConstraint("run_targets_pk", ["run_id", "domain", "suite"])
      .addCheckConstraint("run_targets_state_check", oneOf("state", ["pending", "leased", "done"]))
      .execute();

    await db.schema
      .createTable("results")
      .addColumn("run_id", "text", (column) => column.notNull().references("runs.id").onDelete("cascade"))
      .addColumn("domain", "text", (column) => column.notNull())
      .addColumn("suite", "text", (column) => column.notNull())
      .addColumn("score", "integer")
      .addColumn("error", "text")
      .addColumn("checked_at", "text", (column) => column.notNull())
      .addColumn("duration_ms", "integer", (column) => column.notNull())
      .addColumn("report", "text", (column) => column.notNull())
      .addPrimaryKeyConstraint("results_pk", ["run_id", "domain", "suite"])
      .execute();

    await db.schema
      .createTable("result_tests")
      .addColumn("run_id", "text", (column) => column.notNull().references("runs.id").onDelete("cascade"))
      .addColumn("domain", "text", (column) => column.notNull())
      .addColumn("suite", "text", (column) => column.notNull())
      .addColumn("test_id", "text", (column) => column.notNull())
      .addColumn("standard", "text", (column) => column.notNull())
      .addColumn("category", "text", (column) => column.notNull())
      .addColumn("status", "text", (column) => column.notNull())
      .addPrimaryKeyConstraint("result_tests_pk", ["run_id", "domain", "suite", "test_id"])
      .execute();

    await db.schema
      .createTable("alerts")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("subject_kind", "text", (column) => column.notNull())
      .addColumn("subject_id", "text", (column) => column.notNull())
      .addColumn("run_id", "text", (column) => column.references("runs.id").onDelete("set null"))
      .addColumn("kind", "text", (column) => column.notNull())
      .addColumn("title", "text", (column) => column.notNull())
      .addColumn("detail", "text", (column) => column.notNull())
      .addColumn("created_at", "text", (column) => column.notNull())
      .addColumn("email_state", "text", (column) => column.notNull().defaultTo("none"))
      .addColumn("webhook_state", "text", (column) => column.notNull().defaultTo("none"))
      .addCheckConstraint("alerts_kind_check", oneOf("kind", ["regression", "deadline", "recovered"]))
      .execute();

    await db.schema
      .createTable("batch_requests")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("account_id", "text", (column) => column.notNull().references("api_accounts.id").onDelete("cascade"))
      .addColumn("name", "text", (column) => column.notNull())
      .addColumn("type", "text", (column) => column.notNull())
      .addColumn("status", "text", (column) => column.notNull())
      .addColumn("run_id", "text", (column) => column.references("runs.id").onDelete("set null"))
      .addColumn("created_at", "text", (column) => column.notNull())
      .addColumn("finished_at", "text")
      .addCheckConstraint("batch_requests_type_check", oneOf("type", ["web", "mail"]))
      .addCheckConstraint("batch_requests_status_check", oneOf("status", ["registering", "running", "generating", "done", "cancelled", "error"]))
      .execute();

    const indexes: [name: string, table: string, columns: string[]][] = [
      ["portfolio_domains_institution", "portfolio_domains", ["institution_id"]],
      ["contract_assets_domain", "contract_assets", ["domain"]],
      ["exemptions_contract", "exemptions", ["contract_id"]],
      ["runs_subject", "runs", ["subject_kind", "subject_id", "created_at"]],
      ["runs_status", "runs", ["status"]],
      ["run_targets_claim", "run_targets", ["state", "not_before"]],
      ["result_tests_run_standard", "result_tests", ["run_id", "standard", "status"]],
      ["alerts_subject", "alerts", ["subject_kind", "subject_id", "created_at"]],
      ["alerts_created_at", "alerts", ["created_at"]],
      ["batch_requests_account", "batch_requests", ["account_id", "created_at"]],
    ];
    for (const [name, table, columns] of indexes) await db.schema.createIndex(name).on(table).columns(columns).execute();
  },
  async down(db: Kysely<unknown>) {
    for (const table of ["batch_requests", "alerts", "result_tests", "results", "run_targets", "runs", "exemptions", "contract_assets", "contracts", "portfolio_domains", "portfolios", "api_accounts"]) {
      await db.schema.dropTable(table).execute();
    }
  },
};

/**
 * Surveys from XLSForm (issue 12), anonymous by construction (see
 * src/store/surveys.ts for what is and is not stored):
 * - a response has a random id, its survey, the date it was submitted (no
 *   time) and the answers; no session, invitation, address or person;
 * - a session holds the answers while they are being given, under the
 *   SHA-256 of the respondent's private token, and no invitation: the
 *   invitation is spent when the session starts (a boolean, no time);
 * - an invitation is an address, its token's hash, when it was sent, and
 *   whether it was used.
 * On SQLite the responses table has no rowid (WITHOUT ROWID): rows are
 * kept in the order of their random ids, not in the order they came in.
 * A survey takes its invitations, sessions and responses with it.
 */
const surveys: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("surveys")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("form_id", "text", (column) => column.notNull())
      .addColumn("title", "text", (column) => column.notNull())
      .addColumn("version", "text", (column) => column.notNull())
      .addColumn("form", "text", (column) => column.notNull())
      .addColumn("file_name", "text", (column) => column.notNull())
      .addColumn("mode", "text", (column) => column.notNull().defaultTo("public"))
      .addColumn("opens_at", "text")
      .addColumn("closes_at", "text")
      .addColumn("privacy_notice", "text", (column) => column.notNull().defaultTo(""))
      .addColumn("consent_text", "text", (column) => column.notNull().defaultTo(""))
      .addColumn("created_at", "text", (column) => column.notNull())
      .addColumn("created_by", "text", (column) => column.references("users.id").onDelete("set null"))
      .addCheckConstraint("surveys_mode_check", oneOf("mode", ["public", "invitation"]))
      .execute();

    await db.schema
      .createTable("survey_invitations")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("survey_id", "text", (column) => column.notNull().references("surveys.id").onDelete("cascade"))
      .addColumn("email", "text", (column) => column.notNull())
      .addColumn("token_hash", "text", (column) => column.notNull().unique())
      .addColumn("sent_at", "text")
      .addColumn("used", "boolean", (column) => column.notNull().defaultTo(false))
      // One invitation per address and survey (also the index of a survey's list).
      .addUniqueConstraint("survey_invitations_survey_email", ["survey_id", "email"])
      .execute();

    await db.schema
      .createTable("survey_sessions")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("survey_id", "text", (column) => column.notNull().references("surveys.id").onDelete("cascade"))
      .addColumn("token_hash", "text", (column) => column.notNull().unique())
      .addColumn("answers", "text", (column) => column.notNull().defaultTo("{}"))
      .addColumn("page", "text")
      .addColumn("language", "text", (column) => column.notNull())
      .addColumn("started_at", "text", (column) => column.notNull())
      .addColumn("updated_at", "text", (column) => column.notNull())
      .addColumn("state", "text", (column) => column.notNull().defaultTo("open"))
      .addCheckConstraint("survey_sessions_state_check", oneOf("state", ["open", "submitted"]))
      .execute();

    let responses = db.schema
      .createTable("survey_responses")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("survey_id", "text", (column) => column.notNull().references("surveys.id").onDelete("cascade"))
      .addColumn("submitted_on", "text", (column) => column.notNull())
      .addColumn("answers", "text", (column) => column.notNull());
    if (!isPostgres(db)) responses = responses.modifyEnd(sql`without rowid`);
    await responses.execute();

    const indexes: [name: string, table: string, columns: string[]][] = [
      ["survey_sessions_survey", "survey_sessions", ["survey_id", "state"]],
      // Keyset pages of a survey's responses (iterateResponses) and their count.
      ["survey_responses_survey", "survey_responses", ["survey_id", "id"]],
    ];
    for (const [name, table, columns] of indexes) await db.schema.createIndex(name).on(table).columns(columns).execute();
  },
  async down(db: Kysely<unknown>) {
    for (const table of ["survey_responses", "survey_sessions", "survey_invitations", "surveys"]) await db.schema.dropTable(table).execute();
  },
};

/** Every migration by name; names sort in the order they run. */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  "0001-initial-schema": initialSchema,
  "0002-read-speed": readSpeed,
  "0003-login-throttle": loginThrottle,
  "0004-known-devices": knownDevices,
  "0005-campaigns": campaigns,
  "0006-surveys": surveys,
};

/** The name of the newest migration: the schema version a backup records. */
export const LATEST_MIGRATION: string = Object.keys(MIGRATIONS).sort().at(-1) ?? "";

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve({ ...MIGRATIONS }),
};
