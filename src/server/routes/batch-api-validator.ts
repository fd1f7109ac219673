/**
 * Test support (not used by the server): checks a reply of the batch API
 * against the OpenAPI document the server serves, with Ajv. OpenAPI 3.0's
 * schema objects are a dialect of JSON Schema draft 4/5 (exclusive
 * bounds as booleans, `nullable`), so Ajv runs in its draft-04 mode.
 *
 * The reply's status must be one the operation declares; its body must
 * match that answer's schema (401 declares no body). What Ajv cannot take
 * as it is, and how it is read instead:
 * - the document's free-text formats ("IPv4 address", "url", "DMARC TXT
 *   record", ...) are given checks of their own below;
 * - `nullable: true` without a `type` (CustomResults) allows anything
 *   already, so it is dropped (Ajv refuses it);
 * - internet.nl's own keywords (`enumClass`, `x-...`, `example`) are
 *   ignored (strict mode off).
 *
 * @example
 *   const validator = await BatchApiValidator.fromServer(app);
 *   assert.deepEqual(validator.errors("post", "/requests", response.status, body), []);
 */
import { isIP, isIPv4, isIPv6 } from "node:net";
import AjvDraft04 from "ajv-draft-04";
import type { ValidateFunction } from "ajv";
import { parse } from "yaml";

type Node = Record<string, unknown>;

// The package is CommonJS: its class is the default export's `default`.
const Ajv = AjvDraft04.default;

const ID = "batch-openapi.json";

/** JSON Pointer escaping (RFC 6901). */
const escape = (part: string): string => part.replaceAll("~", "~0").replaceAll("/", "~1");

function prepare(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(prepare);
  if (typeof value !== "object" || value === null) return value;
  const copy: Node = {};
  for (const [key, item] of Object.entries(value)) copy[key] = prepare(item);
  if ("nullable" in copy && !("type" in copy)) delete copy.nullable;
  return copy;
}

export class BatchApiValidator {
  readonly document: Node;
  readonly #ajv: InstanceType<typeof Ajv>;
  readonly #compiled = new Map<string, ValidateFunction>();

  constructor(documentText: string) {
    this.document = parse(documentText) as Node;
    this.#ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
    this.#ajv.addFormat("date-time", (value: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(value) && !Number.isNaN(Date.parse(value)));
    this.#ajv.addFormat("url", (value: string) => URL.canParse(value));
    this.#ajv.addFormat("IPv4 address", (value: string) => isIPv4(value));
    this.#ajv.addFormat("IPv6 address", (value: string) => isIPv6(value));
    this.#ajv.addFormat("IP address", (value: string) => isIP(value) !== 0);
    this.#ajv.addFormat("DMARC TXT record", (value: string) => /^v=DMARC1\b/i.test(value));
    this.#ajv.addFormat("SPF TXT record", (value: string) => /^v=spf1\b/i.test(value));
    this.#ajv.addFormat("<certificate common name>: <reason>", true);
    this.#ajv.addSchema(prepare(this.document) as object, ID);
  }

  /** The validator of the document's served text. */
  static async fromServer(app: { request: (path: string) => Response | Promise<Response> }): Promise<BatchApiValidator> {
    const response = await app.request("/api/batch/openapi.yaml");
    if (response.status !== 200) throw new Error(`/api/batch/openapi.yaml answered ${response.status}`);
    return new BatchApiValidator(await response.text());
  }

  #validator(pointer: string): ValidateFunction {
    let validate = this.#compiled.get(pointer);
    if (!validate) {
      validate = this.#ajv.compile({ $ref: `${ID}#${pointer}` });
      this.#compiled.set(pointer, validate);
    }
    return validate;
  }

  /** The JSON Pointer of the schema of `method path`'s answer `status` (undefined: declared without a body); throws when not declared. */
  responseSchema(method: string, path: string, status: number): string | undefined {
    const paths = this.document.paths as Record<string, Node | undefined>;
    const operation = paths[path]?.[method.toLowerCase()] as Node | undefined;
    if (!operation) throw new Error(`the document has no operation ${method} ${path}`);
    const responses = operation.responses as Record<string, Node | undefined>;
    let response = responses[String(status)];
    let pointer = `/paths/${escape(path)}/${method.toLowerCase()}/responses/${status}`;
    if (!response) throw new Error(`${method} ${path} does not declare the status ${status}`);
    const ref = response.$ref;
    if (typeof ref === "string") {
      pointer = ref.slice(1);
      const name = ref.split("/").at(-1) ?? "";
      response = (this.document.components as { responses: Record<string, Node> }).responses[name];
    }
    const content = response?.content as Record<string, unknown> | undefined;
    if (!content) return undefined;
    if (!content["application/json"]) throw new Error(`${method} ${path} ${status} has no application/json content`);
    return `${pointer}/content/application~1json/schema`;
  }

  /** Ajv's complaints about a reply, as "pointer: message" lines; empty when it is valid. */
  errors(method: string, path: string, status: number, body: unknown): string[] {
    const pointer = this.responseSchema(method, path, status);
    if (pointer === undefined) return [];
    return this.#errorsOf(this.#validator(pointer), body);
  }

  /** Complaints about `value` against the component schema `name` (e.g. "DomainWebTechnicalReply"). */
  schemaErrors(name: string, value: unknown): string[] {
    return this.#errorsOf(this.#validator(`/components/schemas/${escape(name)}`), value);
  }

  #errorsOf(validate: ValidateFunction, value: unknown): string[] {
    if (validate(value)) return [];
    return (validate.errors ?? []).map((error) => `${error.instancePath || "/"}: ${error.message ?? "invalid"} ${JSON.stringify(error.params)}`);
  }
}
