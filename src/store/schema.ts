/**
 * The database as Kysely sees it: one interface per table, with column names
 * as in SQL (snake_case), and the value lists of the enumerated columns.
 *
 * The same schema runs on SQLite and PostgreSQL, so the column types are the
 * portable ones: ids and timestamps are text (random UUIDs; ISO 8601 in UTC,
 * which sorts as text), lists and structured values are JSON text, booleans
 * are `boolean` (PostgreSQL returns true/false, SQLite 0/1: read them with
 * `Boolean()`). The repositories turn rows into camelCase records.
 */
import type { ColumnType, SqlBool } from "kysely";

export const ROLES = ["admin", "editor", "viewer"] as const;
export type Role = (typeof ROLES)[number];

export const INSTITUTION_KINDS = [
  "government",
  "intergovernmental",
  "regulator",
  "standards-body",
  "private-company",
  "civil-society",
  "academia",
] as const;
export type InstitutionKind = (typeof INSTITUTION_KINDS)[number];

export const POLICY_TYPES = ["law", "regulation", "policy", "guideline", "tender-template", "model-contract", "standard"] as const;
export type PolicyType = (typeof POLICY_TYPES)[number];

export const POLICY_STATUSES = ["draft", "in-force", "repealed"] as const;
export type PolicyStatus = (typeof POLICY_STATUSES)[number];

/** Who may see a policy: anonymous visitors see `published` only. */
export const REVIEW_STATES = ["draft", "reviewed", "published"] as const;
export type ReviewState = (typeof REVIEW_STATES)[number];

/** Written as a boolean; read as true/false (PostgreSQL) or 1/0 (SQLite). */
type BooleanColumn = ColumnType<SqlBool, boolean, boolean>;

export interface UsersTable {
  id: string;
  /** Stored lower-case, so that lookups and the unique index ignore case. */
  email: string;
  name: string;
  role: Role;
  password_hash: string;
  created_at: string;
}

export interface SessionsTable {
  /** SHA-256 of the session token: a copy of the database does not hold live sessions. */
  id: string;
  user_id: string;
  csrf_token: string;
  created_at: string;
  expires_at: string;
}

export interface AuditLogTable {
  id: string;
  at: string;
  /** No foreign key: the log outlives the accounts it mentions. */
  user_id: string | null;
  action: string;
  entity: string;
  entity_id: string | null;
  /** JSON text. */
  detail: string | null;
}

export interface InstitutionsTable {
  id: string;
  name: string;
  kind: InstitutionKind;
  /** ISO 3166-1 alpha-2; null for bodies without one country. */
  country: string | null;
  /** UN M49 area code, three digits ("150" Europe, "001" World). */
  region: string;
  global_south: BooleanColumn;
  sector: string | null;
  created_at: string;
  updated_at: string;
}

export interface PoliciesTable {
  id: string;
  institution_id: string;
  title: string;
  type: PolicyType;
  status: PolicyStatus;
  /** YYYY-MM-DD. */
  adopted_on: string | null;
  source_url: string | null;
  /** BCP 47 language tag of the document ("en", "fr", "pt-BR"). */
  language: string | null;
  covers_internet: BooleanColumn;
  security_text: string | null;
  /** JSON text: string[]. */
  security_tags: string;
  cites_standards: BooleanColumn;
  other_standards: string | null;
  /** JSON text: string[] of quotes from the document. */
  evidence: string;
  /** JSON text: string[]. */
  best_practice_tags: string;
  /** JSON text: string[]. */
  barrier_tags: string;
  /** JSON text: string[]. */
  global_south_tags: string;
  review_state: ReviewState;
  reviewed_by: string | null;
  created_at: string;
  updated_at: string;
}

/** What a policy covers: catalog category ids. */
export interface PolicyCategoriesTable {
  policy_id: string;
  category_id: string;
}

/** Which catalog standards a policy cites. */
export interface PolicyStandardsTable {
  policy_id: string;
  standard_id: string;
}

export interface DecisionMatricesTable {
  id: string;
  name: string;
  owner_id: string;
  /** JSON text: criteria, weights, scores (the decision module owns its shape). */
  definition: string;
  created_at: string;
  updated_at: string;
}

/** Which checks a portfolio's runs do. */
export const SUITE_CHOICES = ["web", "mail", "all"] as const;
export type SuiteChoice = (typeof SUITE_CHOICES)[number];

/** What a run checks: a portfolio, a contract's assets, or a batch API request. */
export const RUN_SUBJECT_KINDS = ["portfolio", "contract", "batch"] as const;
export type RunSubjectKind = (typeof RUN_SUBJECT_KINDS)[number];

export const RUN_STATUSES = ["queued", "running", "done", "cancelled"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const TARGET_STATES = ["pending", "leased", "done"] as const;
export type TargetState = (typeof TARGET_STATES)[number];

export const ALERT_KINDS = ["regression", "deadline", "recovered"] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** internet.nl's request lifecycle (batch API). */
export const BATCH_STATUSES = ["registering", "running", "generating", "done", "cancelled", "error"] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

/** Accounts of the batch API (HTTP Basic); they have no access to the pages. */
export interface ApiAccountsTable {
  id: string;
  /** Stored lower-case. */
  email: string;
  name: string;
  password_hash: string;
  created_at: string;
}

export interface PortfoliosTable {
  id: string;
  name: string;
  description: string | null;
  suites: SuiteChoice;
  /** "manual", "daily", "weekly", "monthly" or a five-field cron expression (UTC). */
  schedule: string;
  /** When the scheduler next starts a run; null when manual. */
  next_run_at: string | null;
  /** JSON text: string[] of addresses alerted on regressions. */
  alert_emails: string;
  webhook_url: string | null;
  /** HMAC-SHA256 key of the webhook's signature header. */
  webhook_secret: string | null;
  created_at: string;
  updated_at: string;
}

export interface PortfolioDomainsTable {
  portfolio_id: string;
  /** Lower-case, without a trailing dot. */
  domain: string;
  organisation: string | null;
  sector: string | null;
  /** UN M49 code, as institutions have. */
  region: string | null;
  institution_id: string | null;
  added_at: string;
}

export interface ContractsTable {
  id: string;
  title: string;
  buyer: string;
  supplier: string;
  /** Language of the letter to the supplier (en, fr, es, nl). */
  language: string;
  /** JSON text: catalog category ids. */
  categories: string;
  /** JSON text: CPV codes. */
  cpv_codes: string;
  /** JSON text: the catalog standard ids the contract requires. */
  standards: string;
  /** Where the requirements came from: "catalog" or the analysed tender's name. */
  source: string | null;
  /** YYYY-MM-DD. */
  signed_on: string | null;
  /** YYYY-MM-DD: from this day on, a failing requirement is a breach. */
  deadline_on: string | null;
  schedule: string;
  next_run_at: string | null;
  /** When the missed-deadline alert went out (once per contract). */
  deadline_alerted_at: string | null;
  alert_emails: string;
  webhook_url: string | null;
  webhook_secret: string | null;
  created_at: string;
  updated_at: string;
}

export interface ContractAssetsTable {
  contract_id: string;
  domain: string;
  suite: "web" | "mail";
}

/** Comply or explain: a requirement a contract does not have to meet, why, and until when. */
export interface ExemptionsTable {
  id: string;
  contract_id: string;
  standard: string;
  reason: string;
  decided_by: string;
  /** YYYY-MM-DD, or null for no end. */
  expires_on: string | null;
  created_at: string;
}

export interface RunsTable {
  id: string;
  subject_kind: RunSubjectKind;
  subject_id: string;
  /** The scheduled time this run stands for (ISO), or "manual:<id>": unique per subject, so a slot runs once. */
  slot: string;
  status: RunStatus;
  /** JSON text: string[] of standard ids the run checks (a contract's), or null for every test. */
  only_standards: string | null;
  /** Number of targets (domain × suite). */
  total: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

/** What a run checks: one row per domain and suite, fixed when the run is created. */
export interface RunTargetsTable {
  run_id: string;
  domain: string;
  suite: "web" | "mail";
  /** The embedded runner's queue state (pg-boss keeps its own). */
  state: TargetState;
  attempts: number;
  /** Not to be tried before this time (backoff after a failed attempt). */
  not_before: string | null;
  /** A leased target whose lease ran out is taken again (its runner died). */
  lease_until: string | null;
}

/** One domain's report in a run: written once (the key makes a second write a no-op). */
export interface ResultsTable {
  run_id: string;
  domain: string;
  suite: "web" | "mail";
  score: number | null;
  /** Why the domain could not be checked at all, after the last attempt; null when it was. */
  error: string | null;
  checked_at: string;
  duration_ms: number;
  /** JSON text: the DomainReport, evidence included. */
  report: string;
}

/** Each test's status in a result, for trends and regressions by query. */
export interface ResultTestsTable {
  run_id: string;
  domain: string;
  suite: "web" | "mail";
  test_id: string;
  standard: string;
  category: string;
  status: string;
}

export interface AlertsTable {
  id: string;
  subject_kind: RunSubjectKind;
  subject_id: string;
  run_id: string | null;
  kind: AlertKind;
  title: string;
  /** JSON text: what changed (domains, tests, before and after). */
  detail: string;
  created_at: string;
  /** "none" (no recipients), "pending", "sent", or "failed: <why>". */
  email_state: string;
  webhook_state: string;
}

export interface BatchRequestsTable {
  /** 32 lower-case hex digits, as internet.nl's request ids. */
  id: string;
  account_id: string;
  name: string;
  type: "web" | "mail";
  status: BatchStatus;
  run_id: string | null;
  created_at: string;
  finished_at: string | null;
}

/** How a survey is distributed; both are anonymous (src/store/surveys.ts). */
export const SURVEY_MODES = ["public", "invitation"] as const;
export type SurveyMode = (typeof SURVEY_MODES)[number];

export const ANSWER_SESSION_STATES = ["open", "submitted"] as const;
export type AnswerSessionState = (typeof ANSWER_SESSION_STATES)[number];

/** A survey: an XLSForm as read (the form as JSON) and how it is run. */
export interface SurveysTable {
  id: string;
  /** The form's settings form_id (not unique: a form may be imported twice). */
  form_id: string;
  title: string;
  version: string;
  /** JSON text: the Form (src/surveys/form.ts). */
  form: string;
  /** The uploaded file's name, for the staff pages. */
  file_name: string;
  mode: SurveyMode;
  opens_at: string | null;
  closes_at: string | null;
  privacy_notice: string;
  consent_text: string;
  created_at: string;
  created_by: string | null;
}

/** Single-use invitations: no link to the session or the response they lead to. */
export interface SurveyInvitationsTable {
  id: string;
  survey_id: string;
  /** Stored lower-case. */
  email: string;
  /** SHA-256 of the token (hex); the token itself is only in the e-mail. */
  token_hash: string;
  sent_at: string | null;
  /** Spent by starting a session; when is not kept. */
  used: BooleanColumn;
}

/** Answers being given, under the respondent's private link; emptied on submit. */
export interface SurveySessionsTable {
  id: string;
  survey_id: string;
  /** SHA-256 of the private link's token (hex). */
  token_hash: string;
  /** JSON text: question name → value; "{}" once submitted. */
  answers: string;
  page: string | null;
  language: string;
  /** ISO timestamps while open; the submission's date only (YYYY-MM-DD) once submitted. */
  started_at: string;
  updated_at: string;
  state: AnswerSessionState;
}

/** A submitted answer set: nothing in it points to a session, an invitation or a person. */
export interface SurveyResponsesTable {
  /** Random (UUID): the order of ids says nothing about the order of submission. */
  id: string;
  survey_id: string;
  /** YYYY-MM-DD (UTC), no time. */
  submitted_on: string;
  /** JSON text: question name → value. */
  answers: string;
}

/**
 * One row (id 1): raised by triggers on every change to the observatory's
 * tables, read by caches of
 * aggregates to tell whether what they hold is still current. Not data:
 * backups leave it out.
 */
export interface DataRevisionTable {
  id: number;
  revision: number;
}

/** The tables that hold data (and go into backups). */
export interface Schema extends DataTables {
  data_revision: DataRevisionTable;
}

export interface DataTables {
  users: UsersTable;
  sessions: SessionsTable;
  audit_log: AuditLogTable;
  institutions: InstitutionsTable;
  policies: PoliciesTable;
  policy_categories: PolicyCategoriesTable;
  policy_standards: PolicyStandardsTable;
  decision_matrices: DecisionMatricesTable;
  api_accounts: ApiAccountsTable;
  portfolios: PortfoliosTable;
  portfolio_domains: PortfolioDomainsTable;
  contracts: ContractsTable;
  contract_assets: ContractAssetsTable;
  exemptions: ExemptionsTable;
  runs: RunsTable;
  run_targets: RunTargetsTable;
  results: ResultsTable;
  result_tests: ResultTestsTable;
  alerts: AlertsTable;
  batch_requests: BatchRequestsTable;
  surveys: SurveysTable;
  survey_invitations: SurveyInvitationsTable;
  survey_sessions: SurveySessionsTable;
  survey_responses: SurveyResponsesTable;
}

export type TableName = keyof DataTables;

/**
 * Every table with its columns, parents before the tables that refer to them
 * (the order to insert in; delete in reverse). Backups use it to check a
 * file's rows; a test compares it with the migrated database.
 */
export const TABLE_COLUMNS = {
  users: ["id", "email", "name", "role", "password_hash", "created_at"],
  institutions: ["id", "name", "kind", "country", "region", "global_south", "sector", "created_at", "updated_at"],
  policies: [
    "id",
    "institution_id",
    "title",
    "type",
    "status",
    "adopted_on",
    "source_url",
    "language",
    "covers_internet",
    "security_text",
    "security_tags",
    "cites_standards",
    "other_standards",
    "evidence",
    "best_practice_tags",
    "barrier_tags",
    "global_south_tags",
    "review_state",
    "reviewed_by",
    "created_at",
    "updated_at",
  ],
  policy_categories: ["policy_id", "category_id"],
  policy_standards: ["policy_id", "standard_id"],
  sessions: ["id", "user_id", "csrf_token", "created_at", "expires_at"],
  audit_log: ["id", "at", "user_id", "action", "entity", "entity_id", "detail"],
  decision_matrices: ["id", "name", "owner_id", "definition", "created_at", "updated_at"],
  api_accounts: ["id", "email", "name", "password_hash", "created_at"],
  portfolios: ["id", "name", "description", "suites", "schedule", "next_run_at", "alert_emails", "webhook_url", "webhook_secret", "created_at", "updated_at"],
  portfolio_domains: ["portfolio_id", "domain", "organisation", "sector", "region", "institution_id", "added_at"],
  contracts: [
    "id",
    "title",
    "buyer",
    "supplier",
    "language",
    "categories",
    "cpv_codes",
    "standards",
    "source",
    "signed_on",
    "deadline_on",
    "schedule",
    "next_run_at",
    "deadline_alerted_at",
    "alert_emails",
    "webhook_url",
    "webhook_secret",
    "created_at",
    "updated_at",
  ],
  contract_assets: ["contract_id", "domain", "suite"],
  exemptions: ["id", "contract_id", "standard", "reason", "decided_by", "expires_on", "created_at"],
  runs: ["id", "subject_kind", "subject_id", "slot", "status", "only_standards", "total", "created_at", "started_at", "finished_at"],
  run_targets: ["run_id", "domain", "suite", "state", "attempts", "not_before", "lease_until"],
  results: ["run_id", "domain", "suite", "score", "error", "checked_at", "duration_ms", "report"],
  result_tests: ["run_id", "domain", "suite", "test_id", "standard", "category", "status"],
  alerts: ["id", "subject_kind", "subject_id", "run_id", "kind", "title", "detail", "created_at", "email_state", "webhook_state"],
  batch_requests: ["id", "account_id", "name", "type", "status", "run_id", "created_at", "finished_at"],
  surveys: ["id", "form_id", "title", "version", "form", "file_name", "mode", "opens_at", "closes_at", "privacy_notice", "consent_text", "created_at", "created_by"],
  survey_invitations: ["id", "survey_id", "email", "token_hash", "sent_at", "used"],
  survey_sessions: ["id", "survey_id", "token_hash", "answers", "page", "language", "started_at", "updated_at", "state"],
  survey_responses: ["id", "survey_id", "submitted_on", "answers"],
} as const satisfies { readonly [T in TableName]: readonly (keyof Schema[T] & string)[] };

/**
 * Tables added after the first schema, with the migration that added them:
 * a backup taken before that migration has none of their rows, and restores
 * as if it had an empty list of them.
 */
export const TABLES_SINCE: { readonly [T in TableName]?: string } = Object.fromEntries<string>([
  ...["api_accounts", "portfolios", "portfolio_domains", "contracts", "contract_assets", "exemptions", "runs", "run_targets", "results", "result_tests", "alerts", "batch_requests"].map((table) => [table, "0005-campaigns"] as const),
  ...["surveys", "survey_invitations", "survey_sessions", "survey_responses"].map((table) => [table, "0006-surveys"] as const),
]);

/** Columns that SQLite returns as 0/1 and a backup file holds as true/false. */
export const BOOLEAN_COLUMNS: { readonly [T in TableName]?: readonly (keyof Schema[T] & string)[] } = {
  institutions: ["global_south"],
  policies: ["covers_internet", "cites_standards"],
  survey_invitations: ["used"],
};
