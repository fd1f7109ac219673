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
} as const satisfies { readonly [T in TableName]: readonly (keyof Schema[T] & string)[] };

/** Columns that SQLite returns as 0/1 and a backup file holds as true/false. */
export const BOOLEAN_COLUMNS: { readonly [T in TableName]?: readonly (keyof Schema[T] & string)[] } = {
  institutions: ["global_south"],
  policies: ["covers_internet", "cites_standards"],
};
