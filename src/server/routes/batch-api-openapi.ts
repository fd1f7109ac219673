/**
 * The OpenAPI document of the batch API: internet.nl's partial file
 * (data/internetnl-batch-api/openapi.yaml, kept unchanged) completed for
 * Baseline, as `/api/batch/openapi.yaml` serves it and the tests validate
 * every reply against it.
 *
 * Completed: the "OVERRIDE THIS VALUE" fields (version, title, contact,
 * servers) and the description's placeholders are filled in, the
 * generator's DISCLAIMER and the logo removed. Corrected, each for a
 * reason the document itself gives:
 * - `Request.finished_date` is `nullable`: the document says it is "only
 *   set when the tests are completed" yet requires a date-time string;
 *   until then Baseline answers null, as internet.nl does.
 * - `ResultsTechnicalReply` is `anyOf` instead of `oneOf`: every mail
 *   reply also satisfies the web branch (and a reply whose domains all
 *   failed satisfies both), so `oneOf` could never hold for them.
 * - Every operation may answer 429 (too many wrong passwords: the login
 *   throttle) and 503 (the password hashing queue is full), with
 *   Retry-After; internet.nl's document lists neither.
 */
import { readFileSync } from "node:fs";
import { parse, stringify } from "yaml";
import { BATCH_API_VERSION } from "../../campaigns/internetnl.ts";

const SOURCE = new URL("../../../data/internetnl-batch-api/openapi.yaml", import.meta.url);

type Node = Record<string, unknown>;

function node(parent: unknown, ...path: string[]): Node {
  let current = parent;
  for (const key of path) {
    if (typeof current !== "object" || current === null) throw new Error(`openapi.yaml: no ${path.join(".")}`);
    current = (current as Node)[key];
  }
  if (typeof current !== "object" || current === null) throw new Error(`openapi.yaml: no ${path.join(".")}`);
  return current as Node;
}

/** internet.nl's file as it is (parsed). */
export function originalDocument(): Node {
  return parse(readFileSync(SOURCE, "utf8")) as Node;
}

/** The corrections of the module comment, applied to a parsed document (also what the tests check the served one against). */
export function applyCorrections(document: Node): Node {
  const schemas = node(document, "components", "schemas");
  const finished = node(schemas, "Request", "properties", "finished_date");
  finished.nullable = true;
  const technical = node(schemas, "ResultsTechnicalReply");
  technical.anyOf = technical.oneOf;
  delete technical.oneOf;
  const responses = node(document, "components", "responses");
  schemas.RetryLaterResponse = {
    allOf: [
      { $ref: "#/components/schemas/ApiReply" },
      {
        type: "object",
        required: ["error"],
        properties: {
          error: {
            type: "object",
            required: ["label", "msg"],
            properties: { label: { type: "string", enum: ["too-many-requests", "busy"] }, msg: { type: "string" } },
          },
        },
      },
    ],
  };
  responses.TooManyRequestsResponse = {
    description: "Too many wrong passwords for this account or from this address; retry after the Retry-After header's seconds",
    content: { "application/json": { schema: { $ref: "#/components/schemas/RetryLaterResponse" } } },
  };
  responses.BusyResponse = {
    description: "The server is checking too many passwords at once; retry after the Retry-After header's seconds",
    content: { "application/json": { schema: { $ref: "#/components/schemas/RetryLaterResponse" } } },
  };
  for (const path of Object.values(node(document, "paths"))) {
    for (const [method, operation] of Object.entries(path as Node)) {
      if (method === "parameters") continue;
      const answers = node(operation, "responses");
      answers["429"] = { $ref: "#/components/responses/TooManyRequestsResponse" };
      answers["503"] = { $ref: "#/components/responses/BusyResponse" };
    }
  }
  return document;
}

/** The completed, corrected document for a server reached at `origin` (e.g. "https://baseline.example.org"). */
export function batchApiDocument(origin: string): Node {
  const document = applyCorrections(originalDocument());
  delete document.DISCLAIMER;
  const info = node(document, "info");
  info.version = BATCH_API_VERSION;
  info.title = "Baseline batch API (internet.nl batch API v2 compatible)";
  info.contact = { name: "The operators of this Baseline server", url: `${origin}/` };
  delete info.termsOfService;
  delete info["x-logo"];
  info.description = String(info.description)
    .replace("@@DESC_INTRO_REDOCLY_LINK@@", `${origin}/api/batch/openapi.yaml`)
    .replace(
      "@@DESC_INTRO_EXTRA@@",
      "This is Baseline's implementation of the internet.nl batch API: the same paths, request lifecycle, category and test names. " +
        "API accounts are made with `baseline admin create --role api`. Each domain's `report.url` links to Baseline's own report of that domain.",
    );
  document.servers = [{ url: `${origin}/api/batch/v2`, description: "this server" }];
  return document;
}

let cached: { origin: string; text: string } | undefined;

/** The document as YAML text (made once per origin). */
export function batchApiDocumentText(origin: string): string {
  if (cached?.origin !== origin) cached = { origin, text: stringify(batchApiDocument(origin), { lineWidth: 0 }) };
  return cached.text;
}
