/**
 * The decision matrix behind "whom to engage first": criteria with weights
 * (given directly, or derived from pairwise comparisons by Saaty's Analytic
 * Hierarchy Process), scores per institution per criterion, a ranked list,
 * and a sensitivity analysis of how the ranking moves when one weight moves.
 * Several researchers' pairwise judgements combine by geometric mean.
 *
 * Pure functions, no I/O: the server validates a matrix with
 * `decisionMatrixSchema` (or `validateDecisionMatrix` for form-ready
 * messages), stores it as JSON and calls `rank` and `sensitivity` to show it.
 *
 * Choices, so that every page explains the numbers the same way:
 * - Pairwise comparisons must be complete: every pair of criteria exactly
 *   once, in either direction. A missing pair is an error naming it rather
 *   than a silent "equal importance", because a guessed 1 changes the weights
 *   and hides an unfinished judgement.
 * - Scores are normalised per criterion by the best score on that criterion
 *   (score / max), so criteria on different scales (0..10, counts, euros)
 *   weigh only by their weights; a weighted score is then between 0 and 1.
 *   `{ normalization: "none" }` uses raw scores, for matrices whose criteria
 *   already share a scale.
 * - Ties (weighted scores equal within 1e-9) share a rank ("1, 1, 3") and
 *   keep the order in which the alternatives were entered.
 *
 * References: T. L. Saaty, "The Analytic Hierarchy Process", McGraw-Hill,
 * 1980 (eigenvector method, consistency ratio, random index table);
 * J. Aczél and T. L. Saaty, "Procedures for synthesizing ratio judgements",
 * J. Math. Psychology 27 (1983) (geometric mean for group judgements).
 *
 * @example
 *   const checked = validateDecisionMatrix(JSON.parse(body));
 *   if (!checked.ok) return showErrors(checked.errors); // ["weighting.comparisons.0.value: ..."]
 *   const { ranking, ahp } = rank(checked.matrix);
 *   if (ahp?.warning) showWarning(ahp.warning);
 */
import { z } from "zod";
import { refusedControlCharacter } from "../store/records.ts";

/** Saaty's fundamental scale runs from 1/9 (extremely less important) to 9. */
export const SAATY_MIN = 1 / 9;
export const SAATY_MAX = 9;
/** Judgements with a consistency ratio above this should be revisited (Saaty). */
export const CONSISTENCY_THRESHOLD = 0.1;
/**
 * Saaty's random index: the mean consistency index of random reciprocal
 * matrices of order n = 1..15, as Saaty published it. The dip at n = 12 is in
 * the published table (the larger orders came from a smaller sample); it is
 * kept so that our ratios match other AHP tools and the literature.
 */
export const RANDOM_INDEX = [0, 0, 0.58, 0.9, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59] as const;
/** Pairwise weighting is limited to the orders the random index table covers. */
export const MAX_PAIRWISE_CRITERIA = RANDOM_INDEX.length;

// Forms and spreadsheets write 1/9 as 0.111; that is what the researcher meant.
const SAATY_TOLERANCE = 1e-3;
const TIE_TOLERANCE = 1e-9;
const POWER_ITERATION_LIMIT = 1000;
const POWER_ITERATION_TOLERANCE = 1e-13;

// ---------------------------------------------------------------- limits

/**
 * What one matrix may hold. Validating, ranking and showing a matrix cost
 * time in proportion to criteria × alternatives (times the sensitivity's
 * steps), and anyone signed in can send one: without bounds a 12,000-
 * alternative matrix held the server for seconds per view. Fifty criteria
 * and a thousand institutions are far past any engagement plan, and rank in
 * milliseconds.
 */
export const MAX_CRITERIA = 50;
export const MAX_ALTERNATIVES = 1000;
/** Every pair of the largest pairwise matrix once; more is always a repeated pair. */
export const MAX_COMPARISONS = (MAX_PAIRWISE_CRITERIA * (MAX_PAIRWISE_CRITERIA - 1)) / 2;
/**
 * The definition as text (the form's JSON), checked before it is parsed. A
 * full matrix at the caps with ids of ten characters, pretty-printed, is
 * about 1 MB.
 */
export const MAX_DEFINITION_CHARACTERS = 2 * 1024 * 1024;

// ---------------------------------------------------------------- messages

/**
 * What validation says, in English, named (as the store's FIELD_MESSAGES)
 * so that the web app can show each in the visitor's language
 * (server/issue-messages.ts).
 */
export const DECISION_MESSAGES = {
  text: "must be a text",
  notEmpty: "must not be empty",
  number: "must be a number",
  notNegative: "must not be negative",
  list: "must be a list",
  object: "must be an object",
  saatyMin: "must be at least 1/9 (Saaty's scale runs from 1/9 to 9)",
  saatyMax: "must be at most 9 (Saaty's scale runs from 1/9 to 9)",
  mode: 'must have mode "direct" or "pairwise"',
  needsCriterion: "needs at least one criterion",
  allZero: "weights must not all be zero",
  missingScore: "missing score",
  positive: "must be a positive number",
  reservedId: 'must not be "__proto__" (JavaScript reserves that name)',
} as const;

/** The messages with values in them; each takes its values as text, so that a pattern can be made of it. */
export const decisionMessage = {
  tooLong: (max: number | string) => `must be at most ${max} characters`,
  tooManyCriteria: (max: number | string) => `must have at most ${max} criteria`,
  tooManyAlternatives: (max: number | string) => `must have at most ${max} alternatives`,
  tooManyComparisons: (max: number | string) => `must have at most ${max} comparisons`,
  tooManyEntries: (max: number | string) => `must have at most ${max} entries`,
  pairwiseLimit: (max: number | string) => `pairwise weighting supports at most ${max} criteria`,
  unknownCriterion: (id: string) => `unknown criterion "${id}"`,
  unknownAlternative: (id: string) => `unknown alternative "${id}"`,
  noWeight: (id: string, index: number | string) => `criterion "${id}" (criteria.${index}) has no weight`,
  duplicateCriterion: (id: string) => `duplicate criterion id "${id}"`,
  duplicateAlternative: (id: string) => `duplicate alternative id "${id}"`,
  selfComparison: (id: string) => `compares "${id}" with itself`,
  comparedTwice: (a: string, b: string, earlier: number | string) => `"${a}" and "${b}" are already compared at comparisons.${earlier}`,
  missingComparison: (a: string, b: string) => `missing a comparison of "${a}" with "${b}"`,
  controlCharacter: (code: string) => `must not contain the control character ${code}`,
} as const;

// ---------------------------------------------------------------- schema

const M = DECISION_MESSAGES;

/**
 * Text of one line: names and ids are shown on the page and saved with the
 * matrix, and a control character (a NUL the JSON spelled \u0000) has no
 * business in either; PostgreSQL cannot even store a NUL in a name.
 */
const oneLine = z.string({ error: M.text }).superRefine((value, context) => {
  const found = refusedControlCharacter(value);
  if (found !== undefined) context.addIssue({ code: "custom", message: decisionMessage.controlCharacter(found) });
});

/**
 * `__proto__` cannot be a key of a plain object (zod drops such a key from a
 * record, and an assignment sets the prototype instead), so an id of that
 * name would lose its scores and weights. Every other id is safe: lookups
 * go through {@link ownValue} or Maps, never the prototype chain.
 */
const id = oneLine
  .trim()
  .min(1, M.notEmpty)
  .max(200, decisionMessage.tooLong(200))
  .refine((value) => value !== "__proto__", M.reservedId);
const label = oneLine.trim().min(1, M.notEmpty).max(500, decisionMessage.tooLong(500));
const nonNegative = z.number({ error: M.number }).min(0, M.notNegative);
/** A record keyed by ids, at most `max` of them. */
const idRecord = <T extends z.ZodType>(value: T, max: number) =>
  z.record(z.string(), value, { error: M.object }).refine((record) => Object.keys(record).length <= max, decisionMessage.tooManyEntries(max));

export const criterionSchema = z.object(
  {
    id,
    name: label,
    /** A direct weight kept with the criterion; `weighting.weights` takes precedence. */
    weight: nonNegative.optional(),
  },
  { error: M.object },
);

export const comparisonSchema = z.object(
  {
    a: id,
    b: id,
    /** How much more important `a` is than `b`, on Saaty's scale 1/9..9. */
    value: z.number({ error: M.number }).min(SAATY_MIN - SAATY_TOLERANCE, M.saatyMin).max(SAATY_MAX, M.saatyMax),
  },
  { error: M.object },
);

export const weightingSchema = z.discriminatedUnion(
  "mode",
  [
    z.object({ mode: z.literal("direct"), weights: idRecord(nonNegative, MAX_CRITERIA).default({}) }),
    z.object({ mode: z.literal("pairwise"), comparisons: z.array(comparisonSchema, { error: M.list }).max(MAX_COMPARISONS, decisionMessage.tooManyComparisons(MAX_COMPARISONS)) }),
  ],
  { error: M.mode },
);

export const alternativeSchema = z.object({ id, name: label }, { error: M.object });

/**
 * A decision matrix as the server accepts it from a form or JSON. Unknown
 * keys are dropped (a stored matrix may carry its own metadata); every cross
 * reference is checked and reported at the field it concerns.
 */
export const decisionMatrixSchema = z
  .object(
    {
      // The store keeps a saved matrix's name in 200 characters.
      name: oneLine.trim().min(1, M.notEmpty).max(200, decisionMessage.tooLong(200)),
      criteria: z
        .array(criterionSchema, { error: M.list })
        .min(1, M.needsCriterion)
        .max(MAX_CRITERIA, decisionMessage.tooManyCriteria(MAX_CRITERIA)),
      weighting: weightingSchema,
      /** The institutions being ranked. */
      alternatives: z.array(alternativeSchema, { error: M.list }).max(MAX_ALTERNATIVES, decisionMessage.tooManyAlternatives(MAX_ALTERNATIVES)),
      /** scores[alternativeId][criterionId]: any non-negative scale, e.g. 0..10. */
      scores: idRecord(idRecord(nonNegative, MAX_CRITERIA), MAX_ALTERNATIVES),
    },
    { error: M.object },
  )
  .superRefine((matrix, context) => {
    for (const issue of crossReferenceIssues(matrix)) context.addIssue({ code: "custom", ...issue });
  });

export type Criterion = z.infer<typeof criterionSchema>;
export type Comparison = z.infer<typeof comparisonSchema>;
export type Weighting = z.infer<typeof weightingSchema>;
export type Alternative = z.infer<typeof alternativeSchema>;
export type DecisionMatrix = z.infer<typeof decisionMatrixSchema>;

/** The matrix cannot be computed as given; `issues` name each problem, field first. */
export class DecisionMatrixError extends Error {
  override name = "DecisionMatrixError";
  readonly issues: readonly string[];
  constructor(issues: readonly string[]) {
    super(issues.join("; "));
    this.issues = issues;
  }
}

/** One problem with a matrix: where (a dotted path, "(matrix)" for the whole) and what, in English. */
export interface MatrixIssue {
  path: string;
  message: string;
}

export type ValidationResult = { ok: true; matrix: DecisionMatrix } | { ok: false; errors: string[]; issues: MatrixIssue[] };

/** Parses untrusted input; each error reads "field.path: what is wrong" (`issues` has the two apart). */
export function validateDecisionMatrix(input: unknown): ValidationResult {
  // Counted before anything is parsed, so that an oversized matrix costs no more than its length.
  const oversized = sizeIssues(input);
  const issues =
    oversized.length > 0
      ? oversized
      : (() => {
          const parsed = decisionMatrixSchema.safeParse(input);
          return parsed.success ? parsed.data : parsed.error.issues.map((issue) => ({ path: issue.path.length > 0 ? issue.path.join(".") : "(matrix)", message: issue.message }));
        })();
  if (!Array.isArray(issues)) return { ok: true, matrix: issues };
  return { ok: false, issues, errors: issues.map((issue) => `${issue.path}: ${issue.message}`) };
}

/** The caps, checked on the raw input: the lengths of its lists and the keys of its score table. Empty when within them. */
export function sizeIssues(input: unknown): MatrixIssue[] {
  if (!isObject(input)) return [];
  const issues: MatrixIssue[] = [];
  const longer = (value: unknown, max: number): boolean => Array.isArray(value) && value.length > max;
  if (longer(input.criteria, MAX_CRITERIA)) issues.push({ path: "criteria", message: decisionMessage.tooManyCriteria(MAX_CRITERIA) });
  if (longer(input.alternatives, MAX_ALTERNATIVES)) issues.push({ path: "alternatives", message: decisionMessage.tooManyAlternatives(MAX_ALTERNATIVES) });
  if (isObject(input.weighting) && longer(input.weighting.comparisons, MAX_COMPARISONS)) {
    issues.push({ path: "weighting.comparisons", message: decisionMessage.tooManyComparisons(MAX_COMPARISONS) });
  }
  if (isObject(input.scores) && Object.keys(input.scores).length > MAX_ALTERNATIVES) issues.push({ path: "scores", message: decisionMessage.tooManyEntries(MAX_ALTERNATIVES) });
  return issues;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * record[key] only when the record holds the key itself: ids are whatever a
 * researcher typed, and "constructor" or "toString" must not find Object's.
 */
function ownValue<V>(record: Readonly<Record<string, V>> | undefined, key: string): V | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

interface Issue {
  path: (string | number)[];
  message: string;
}

function crossReferenceIssues(matrix: DecisionMatrix): Issue[] {
  const issues: Issue[] = [];
  const criterionIds = matrix.criteria.map((criterion) => criterion.id);
  const alternativeIds = matrix.alternatives.map((alternative) => alternative.id);
  // Its scores and weights were dropped with the key (see `id`): the refused id is the one problem to report.
  if ([...criterionIds, ...alternativeIds].includes("__proto__")) return [];
  issues.push(...duplicateIssues(criterionIds, "criteria", decisionMessage.duplicateCriterion));
  issues.push(...duplicateIssues(alternativeIds, "alternatives", decisionMessage.duplicateAlternative));
  const knownCriteria = new Set(criterionIds);
  const knownAlternatives = new Set(alternativeIds);

  if (matrix.weighting.mode === "pairwise") {
    if (criterionIds.length > MAX_PAIRWISE_CRITERIA) {
      issues.push({ path: ["criteria"], message: decisionMessage.pairwiseLimit(MAX_PAIRWISE_CRITERIA) });
    }
    for (const issue of comparisonIssues(criterionIds, matrix.weighting.comparisons)) {
      issues.push({ ...issue, path: ["weighting", "comparisons", ...issue.path] });
    }
  } else {
    const weights = matrix.weighting.weights;
    for (const key of Object.keys(weights)) {
      if (!knownCriteria.has(key)) issues.push({ path: ["weighting", "weights", key], message: decisionMessage.unknownCriterion(key) });
    }
    let total = 0;
    let complete = true;
    for (const [index, criterion] of matrix.criteria.entries()) {
      const weight = ownValue(weights, criterion.id) ?? criterion.weight;
      if (weight === undefined) {
        complete = false;
        issues.push({ path: ["weighting", "weights", criterion.id], message: decisionMessage.noWeight(criterion.id, index) });
      } else {
        total += weight;
      }
    }
    if (complete && total <= 0) issues.push({ path: ["weighting", "weights"], message: M.allZero });
  }

  for (const [alternativeId, row] of Object.entries(matrix.scores)) {
    if (!knownAlternatives.has(alternativeId)) {
      issues.push({ path: ["scores", alternativeId], message: decisionMessage.unknownAlternative(alternativeId) });
      continue;
    }
    for (const criterionId of Object.keys(row)) {
      if (!knownCriteria.has(criterionId)) issues.push({ path: ["scores", alternativeId, criterionId], message: decisionMessage.unknownCriterion(criterionId) });
    }
  }
  for (const alternativeId of alternativeIds) {
    for (const criterionId of criterionIds) {
      if (ownValue(ownValue(matrix.scores, alternativeId), criterionId) === undefined) {
        issues.push({ path: ["scores", alternativeId, criterionId], message: M.missingScore });
      }
    }
  }
  return issues;
}

function duplicateIssues(ids: readonly string[], field: string, message: (id: string) => string): Issue[] {
  const seen = new Set<string>();
  const issues: Issue[] = [];
  ids.forEach((value, index) => {
    if (seen.has(value)) issues.push({ path: [field, index, "id"], message: message(value) });
    seen.add(value);
  });
  return issues;
}

/** Problems with a set of comparisons, paths relative to the comparisons array. */
function comparisonIssues(criterionIds: readonly string[], comparisons: readonly Comparison[]): Issue[] {
  const known = new Set(criterionIds);
  const issues: Issue[] = [];
  const given = new Map<string, number>();
  comparisons.forEach((comparison, index) => {
    for (const side of ["a", "b"] as const) {
      if (!known.has(comparison[side])) issues.push({ path: [index, side], message: decisionMessage.unknownCriterion(comparison[side]) });
    }
    if (comparison.a === comparison.b) {
      issues.push({ path: [index, "b"], message: decisionMessage.selfComparison(comparison.a) });
      return;
    }
    if (!(comparison.value > 0) || !Number.isFinite(comparison.value)) {
      issues.push({ path: [index, "value"], message: M.positive });
    }
    const key = pairKey(comparison.a, comparison.b);
    const earlier = given.get(key);
    if (earlier !== undefined) {
      issues.push({ path: [index], message: decisionMessage.comparedTwice(comparison.a, comparison.b, earlier) });
    } else {
      given.set(key, index);
    }
  });
  criterionIds.forEach((a, i) => {
    for (const b of criterionIds.slice(i + 1)) {
      if (a !== b && !given.has(pairKey(a, b))) issues.push({ path: [], message: decisionMessage.missingComparison(a, b) });
    }
  });
  return issues;
}

/** The same key for (a, b) and (b, a). */
function pairKey(a: string, b: string): string {
  return JSON.stringify(a < b ? [a, b] : [b, a]);
}

// ---------------------------------------------------------------- weights

export interface AhpResult {
  /** Priority vector by the principal eigenvector, summing to 1. */
  weights: Record<string, number>;
  /** The row geometric-mean approximation of the same vector, summing to 1. */
  geometricMeanWeights: Record<string, number>;
  /** Principal eigenvalue; equals n for perfectly consistent judgements. */
  lambdaMax: number;
  /** CI = (λmax − n) / (n − 1); 0 for n ≤ 2. */
  consistencyIndex: number;
  randomIndex: number;
  /** CR = CI / RI; 0 for n ≤ 2, where any judgements are consistent. */
  consistencyRatio: number;
  /** CR ≤ 0.1. */
  consistent: boolean;
  /** Present when CR > 0.1: the judgements should be revisited. */
  warning?: string;
  /** The reciprocal matrix, rows and columns in criteria order. */
  matrix: number[][];
  iterations: number;
}

/**
 * Weights from pairwise comparisons by Saaty's eigenvector method, with the
 * consistency ratio. Throws `DecisionMatrixError` when a pair is missing,
 * repeated or refers to an unknown criterion.
 */
export function ahpWeights(criteria: readonly Pick<Criterion, "id">[], comparisons: readonly Comparison[]): AhpResult {
  const ids = criteria.map((criterion) => criterion.id);
  const issues = [...duplicateIssues(ids, "criteria", decisionMessage.duplicateCriterion), ...comparisonIssues(ids, comparisons)];
  if (ids.length > MAX_PAIRWISE_CRITERIA) issues.push({ path: [], message: decisionMessage.pairwiseLimit(MAX_PAIRWISE_CRITERIA) });
  if (ids.length === 0) issues.push({ path: [], message: DECISION_MESSAGES.needsCriterion });
  if (issues.length > 0) {
    throw new DecisionMatrixError(issues.map((issue) => (issue.path.length > 0 ? `comparisons.${issue.path.join(".")}: ` : "") + issue.message));
  }

  const judgement = new Map<string, number>();
  for (const { a, b, value } of comparisons) {
    judgement.set(JSON.stringify([a, b]), value);
    judgement.set(JSON.stringify([b, a]), 1 / value);
  }
  const matrix = ids.map((a) => ids.map((b) => (a === b ? 1 : (judgement.get(JSON.stringify([a, b])) ?? 1))));
  const n = ids.length;

  const geometricMean = normalize(matrix.map((row) => Math.exp(row.reduce((sum, value) => sum + Math.log(value), 0) / n)));
  // Power iteration from the geometric-mean estimate: the matrix is positive,
  // so Perron-Frobenius guarantees convergence to the principal eigenvector.
  let vector = geometricMean;
  let iterations = 0;
  while (iterations < POWER_ITERATION_LIMIT) {
    iterations += 1;
    const next = normalize(multiply(matrix, vector));
    const change = next.reduce((sum, value, index) => sum + Math.abs(value - (vector[index] ?? 0)), 0);
    vector = next;
    if (change < POWER_ITERATION_TOLERANCE) break;
  }
  // Σ(Av) = λ Σv = λ for a normalised eigenvector v.
  const lambdaMax = sum(multiply(matrix, vector));
  // λmax ≥ n for positive reciprocal matrices; a negative CI is rounding.
  const consistencyIndex = n <= 2 ? 0 : Math.max(0, (lambdaMax - n) / (n - 1));
  const randomIndex = RANDOM_INDEX[n - 1] ?? 0;
  const consistencyRatio = randomIndex > 0 ? consistencyIndex / randomIndex : 0;
  const consistent = consistencyRatio <= CONSISTENCY_THRESHOLD;
  const result: AhpResult = {
    weights: byId(ids, vector),
    geometricMeanWeights: byId(ids, geometricMean),
    lambdaMax,
    consistencyIndex,
    randomIndex,
    consistencyRatio,
    consistent,
    matrix,
    iterations,
  };
  if (!consistent) {
    result.warning = `The pairwise comparisons are inconsistent (consistency ratio ${consistencyRatio.toFixed(3)} > ${CONSISTENCY_THRESHOLD}); revisit the judgements.`;
  }
  return result;
}

/** Direct weights scaled to sum to 1. Throws on a negative or non-finite weight, or when all are zero. */
export function normalizeDirectWeights(weights: Readonly<Record<string, number>>): Record<string, number> {
  const issues = Object.entries(weights)
    .filter(([, weight]) => !Number.isFinite(weight) || weight < 0)
    .map(([criterionId]) => `weights.${criterionId}: must be a finite, non-negative number`);
  const total = sum(Object.values(weights));
  if (issues.length === 0 && !(total > 0)) issues.push("weights: must not all be zero");
  if (issues.length > 0) throw new DecisionMatrixError(issues);
  return Object.fromEntries(Object.entries(weights).map(([criterionId, weight]) => [criterionId, weight / total]));
}

export interface MatrixWeights {
  /** Normalised weights, summing to 1, keyed by criterion id. */
  weights: Record<string, number>;
  /** The AHP details when the weights came from pairwise comparisons. */
  ahp?: AhpResult;
}

/** The matrix's criterion weights, however they were given. */
export function matrixWeights(matrix: DecisionMatrix): MatrixWeights {
  if (matrix.weighting.mode === "pairwise") {
    const ahp = ahpWeights(matrix.criteria, matrix.weighting.comparisons);
    return { weights: ahp.weights, ahp };
  }
  const given = matrix.weighting.weights;
  const missing = matrix.criteria.filter((criterion) => (ownValue(given, criterion.id) ?? criterion.weight) === undefined);
  if (missing.length > 0) throw new DecisionMatrixError(missing.map((criterion) => `weighting.weights.${criterion.id}: missing`));
  const weights = Object.fromEntries(matrix.criteria.map((criterion) => [criterion.id, ownValue(given, criterion.id) ?? criterion.weight ?? 0]));
  return { weights: normalizeDirectWeights(weights) };
}

// ---------------------------------------------------------------- ranking

export interface RankOptions {
  /** "max" (default): each score divided by the best score on its criterion. "none": raw scores. */
  normalization?: "max" | "none";
}

export interface RankedAlternative {
  id: string;
  name: string;
  /** 1 for the best; tied alternatives share a rank. */
  rank: number;
  /** Σ weight × (normalised) score. */
  score: number;
  /** Each criterion's part of the score, keyed by criterion id. */
  contributions: Record<string, number>;
}

export interface Ranking extends MatrixWeights {
  normalization: "max" | "none";
  ranking: RankedAlternative[];
}

/** Ranks the alternatives by weighted score, best first; ties keep input order. */
export function rank(matrix: DecisionMatrix, options: RankOptions = {}): Ranking {
  const normalization = options.normalization ?? "max";
  const weights = matrixWeights(matrix);
  const table = scoreTable(matrix, normalization);
  return { ...weights, normalization, ranking: rankWith(matrix, table, weights.weights) };
}

/** scores[alternative][criterion], normalised as asked, in matrix order. */
function scoreTable(matrix: DecisionMatrix, normalization: "max" | "none"): number[][] {
  const raw = matrix.alternatives.map((alternative) =>
    matrix.criteria.map((criterion) => {
      const score = ownValue(ownValue(matrix.scores, alternative.id), criterion.id);
      if (score === undefined || !Number.isFinite(score) || score < 0) {
        throw new DecisionMatrixError([`scores.${alternative.id}.${criterion.id}: ${score === undefined ? "missing score" : "must be a finite, non-negative number"}`]);
      }
      return score;
    }),
  );
  if (normalization === "none") return raw;
  const best = matrix.criteria.map((_, column) => Math.max(0, ...raw.map((row) => row[column] ?? 0)));
  // A criterion on which everyone scores 0 separates no one: it contributes 0.
  return raw.map((row) => row.map((score, column) => {
    const max = best[column] ?? 0;
    return max > 0 ? score / max : 0;
  }));
}

/** The weighted score of each alternative, in matrix order: Σ weight × (normalised) score, as plain arithmetic on arrays. */
function scoresWith(matrix: DecisionMatrix, table: readonly (readonly number[])[], weights: Readonly<Record<string, number>>): number[] {
  const byColumn = matrix.criteria.map((criterion) => ownValue(weights, criterion.id) ?? 0);
  return table.map((row) => byColumn.reduce((total, weight, column) => total + weight * (row[column] ?? 0), 0));
}

/** Rows best first, with ranks (ties share one and keep input order). */
function rankRows(scores: readonly number[]): { row: number; rank: number }[] {
  // Array.prototype.sort is stable, so equal scores keep input order.
  const order = scores.map((_, row) => row).sort((x, y) => {
    const a = scores[x] ?? 0;
    const b = scores[y] ?? 0;
    return tied(a, b) ? 0 : b - a;
  });
  const ranked: { row: number; rank: number }[] = [];
  order.forEach((row, position) => {
    const previous = ranked[position - 1];
    const tiedWithPrevious = previous !== undefined && tied(scores[previous.row] ?? 0, scores[row] ?? 0);
    ranked.push({ row, rank: previous !== undefined && tiedWithPrevious ? previous.rank : position + 1 });
  });
  return ranked;
}

/** The full ranking, each alternative with its contributions per criterion. */
function rankWith(matrix: DecisionMatrix, table: readonly (readonly number[])[], weights: Readonly<Record<string, number>>): RankedAlternative[] {
  const scores = scoresWith(matrix, table, weights);
  return rankRows(scores).map(({ row, rank: rankNumber }) => {
    const alternative = matrix.alternatives[row] ?? { id: "", name: "" };
    const values = table[row] ?? [];
    const contributions = Object.fromEntries(matrix.criteria.map((criterion, column) => [criterion.id, (ownValue(weights, criterion.id) ?? 0) * (values[column] ?? 0)]));
    return { id: alternative.id, name: alternative.name, rank: rankNumber, score: scores[row] ?? 0, contributions };
  });
}

function tied(x: number, y: number): boolean {
  return Math.abs(x - y) <= TIE_TOLERANCE * Math.max(1, Math.abs(x), Math.abs(y));
}

// ---------------------------------------------------------------- sensitivity

export interface SensitivityStep {
  /** The varied criterion's weight at this step, from 0 to 1. */
  weight: number;
  /** All weights at this step: the others keep their proportions and fill 1 − weight. */
  weights: Record<string, number>;
  /** Alternative ids, best first. */
  order: string[];
  /** The ranking at this step, without the contributions (eleven steps of a thousand alternatives would make 550,000). */
  ranking: Omit<RankedAlternative, "contributions">[];
  /** The top-ranked alternative differs from the previous step's. */
  topChanged: boolean;
}

export interface TopChange {
  /** The exact weight of the varied criterion at which `to` overtakes `from`. */
  weight: number;
  from: string;
  to: string;
}

export interface Sensitivity {
  criterionId: string;
  /** The criterion's weight in the matrix as given. */
  baseWeight: number;
  steps: SensitivityStep[];
  /** Every point in [0, 1) where the leader changes, in increasing weight. */
  topChanges: TopChange[];
}

/**
 * How the ranking moves as one criterion's weight goes from 0 to 1 in
 * `steps` even steps, the other weights rescaled to keep their proportions
 * (spread equally if they were all zero). With a single criterion there is
 * nothing to trade against: its weight stays 1 and the ranking never moves.
 *
 * Each weighted score is linear in the varied weight, so the points where
 * the leader changes are computed exactly (the breakpoints of the upper
 * envelope of those lines), including changes that fall between steps.
 */
export function sensitivity(matrix: DecisionMatrix, criterionId: string, steps = 11, options: RankOptions = {}): Sensitivity {
  const column = matrix.criteria.findIndex((criterion) => criterion.id === criterionId);
  if (column < 0) throw new DecisionMatrixError([`criterionId: unknown criterion "${criterionId}"`]);
  if (!Number.isInteger(steps) || steps < 2) throw new DecisionMatrixError(["steps: must be a whole number of at least 2"]);
  const base = matrixWeights(matrix).weights;
  const table = scoreTable(matrix, options.normalization ?? "max");
  const others = matrix.criteria.filter((criterion) => criterion.id !== criterionId);
  const othersTotal = sum(others.map((criterion) => ownValue(base, criterion.id) ?? 0));
  // The others' shares of whatever weight the varied criterion leaves them.
  const shares = Object.fromEntries(
    others.map((criterion) => [criterion.id, othersTotal > 0 ? (ownValue(base, criterion.id) ?? 0) / othersTotal : 1 / others.length]),
  );
  const weightsAt = (weight: number): Record<string, number> =>
    others.length === 0
      ? { [criterionId]: 1 }
      : { ...Object.fromEntries(others.map((criterion) => [criterion.id, (1 - weight) * (ownValue(shares, criterion.id) ?? 0)])), [criterionId]: weight };

  const results: SensitivityStep[] = [];
  for (let step = 0; step < steps; step += 1) {
    const weight = step / (steps - 1);
    const weights = weightsAt(weight);
    const scores = scoresWith(matrix, table, weights);
    const ranking = rankRows(scores).map(({ row, rank: rankNumber }) => {
      const alternative = matrix.alternatives[row] ?? { id: "", name: "" };
      return { id: alternative.id, name: alternative.name, rank: rankNumber, score: scores[row] ?? 0 };
    });
    const previousTop = results[step - 1]?.order[0];
    const order = ranking.map((alternative) => alternative.id);
    results.push({ weight, weights, order, ranking, topChanged: previousTop !== undefined && previousTop !== order[0] });
  }

  // score(w) = w·x + (1 − w)·rest = rest + (x − rest)·w, per alternative.
  const lines = matrix.alternatives.map((alternative, row) => {
    const values = table[row] ?? [];
    const own = values[column] ?? 0;
    const rest = others.length === 0 ? own : sum(matrix.criteria.map((criterion, index) => (index === column ? 0 : (ownValue(shares, criterion.id) ?? 0) * (values[index] ?? 0))));
    return { id: alternative.id, intercept: rest, slope: own - rest };
  });
  return { criterionId, baseWeight: ownValue(base, criterionId) ?? 0, steps: results, topChanges: leaderChanges(lines, results[0]?.order[0]) };
}

interface Line {
  id: string;
  intercept: number;
  slope: number;
}

/** Walks the upper envelope of the score lines from w = 0 to w = 1. */
function leaderChanges(lines: readonly Line[], firstLeader: string | undefined): TopChange[] {
  const changes: TopChange[] = [];
  let current = lines.find((line) => line.id === firstLeader);
  let weight = 0;
  const valueAt = (line: Line, at: number): number => line.intercept + line.slope * at;
  // Each change moves to a strictly steeper line, so this ends within lines.length rounds.
  while (current !== undefined) {
    const leader: Line = current;
    let next: { line: Line; at: number } | undefined;
    for (const line of lines) {
      if (line.slope <= leader.slope + TIE_TOLERANCE) continue;
      const gap = Math.max(0, valueAt(leader, weight) - valueAt(line, weight));
      const at = weight + gap / (line.slope - leader.slope);
      if (next === undefined || at < next.at - TIE_TOLERANCE || (tied(at, next.at) && line.slope > next.line.slope)) next = { line, at };
    }
    // A tie reached exactly at w = 1 is not a reversal within the range.
    if (next === undefined || next.at >= 1 - TIE_TOLERANCE) break;
    changes.push({ weight: next.at, from: leader.id, to: next.line.id });
    weight = next.at;
    current = next.line;
  }
  return changes;
}

// ---------------------------------------------------------------- groups

/**
 * Combines several researchers' pairwise judgements into one set by the
 * geometric mean of their values for each pair (aggregation of individual
 * judgements, which keeps the result reciprocal and on Saaty's scale). A
 * judge may give a pair in either direction; a pair only some judges gave
 * is the mean of those who gave it. Pairs come out in first-seen order and
 * orientation.
 */
export function groupPairwise(judgementSets: readonly (readonly Comparison[])[]): Comparison[] {
  const pairs = new Map<string, { a: string; b: string; logs: number[] }>();
  const issues: string[] = [];
  judgementSets.forEach((judgements, judge) => {
    const seen = new Set<string>();
    judgements.forEach(({ a, b, value }, index) => {
      const key = pairKey(a, b);
      if (a === b) issues.push(`judges.${judge}.${index}: compares "${a}" with itself`);
      else if (!(value > 0) || !Number.isFinite(value)) issues.push(`judges.${judge}.${index}.value: must be a positive number`);
      else if (seen.has(key)) issues.push(`judges.${judge}.${index}: "${a}" and "${b}" are compared twice`);
      else {
        seen.add(key);
        const pair = pairs.get(key) ?? { a, b, logs: [] };
        pair.logs.push(pair.a === a ? Math.log(value) : -Math.log(value));
        pairs.set(key, pair);
      }
    });
  });
  if (issues.length > 0) throw new DecisionMatrixError(issues);
  return [...pairs.values()].map(({ a, b, logs }) => ({ a, b, value: Math.exp(sum(logs) / logs.length) }));
}

// ---------------------------------------------------------------- helpers

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function normalize(values: readonly number[]): number[] {
  const total = sum(values);
  return values.map((value) => value / total);
}

function multiply(matrix: readonly (readonly number[])[], vector: readonly number[]): number[] {
  return matrix.map((row) => row.reduce((total, value, index) => total + value * (vector[index] ?? 0), 0));
}

function byId(ids: readonly string[], values: readonly number[]): Record<string, number> {
  return Object.fromEntries(ids.map((criterionId, index) => [criterionId, values[index] ?? 0]));
}
