/**
 * A survey's responses as one JSON array, streamed: each element is
 * `{ "_id": ..., "_submitted_on": ..., ...answers }` with the answers
 * exactly as stored (a select_multiple as its choice names separated by
 * spaces, as KoboToolbox's JSON has them). Keys of the answers follow the
 * form's sheet order; answers the form does not name (none, normally) come
 * after. One response in memory at a time; backpressure respected.
 *
 * @example
 *   await exportJson(form, iterateResponses(db, id), response);
 */
import type { Writable } from "node:stream";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { responsesOf, type ResponseSource } from "./export-columns.ts";
import { otherFieldName, type Form } from "./form.ts";

export interface JsonExportOptions {
  /** End `out` when done (default true; false for standard output). */
  end?: boolean;
}

export async function exportJson(form: Form, responses: ResponseSource, out: Writable, options: JsonExportOptions = {}): Promise<void> {
  const order = [...new Set(form.questions.flatMap((question) => (question.orOther ? [question.name, otherFieldName(question)] : [question.name])))];
  async function* chunks(): AsyncGenerator<string> {
    yield "[";
    let index = 0;
    for await (const response of responsesOf(responses)) {
      // Pairs written out rather than an object built: a question may be
      // named __proto__, which an object would swallow.
      const pairs: [string, string][] = [
        ["_id", response.id ?? String(index + 1)],
        ["_submitted_on", response.submittedOn ?? ""],
      ];
      const written = new Set<string>();
      for (const name of order) {
        const value = Object.hasOwn(response.answers, name) ? response.answers[name] : undefined;
        if (value === undefined) continue;
        pairs.push([name, value]);
        written.add(name);
      }
      for (const [name, value] of Object.entries(response.answers)) if (!written.has(name)) pairs.push([name, value]);
      const record = `{${pairs.map(([name, value]) => `${JSON.stringify(name)}:${JSON.stringify(value)}`).join(",")}}`;
      yield `${index === 0 ? "\n" : ",\n"}${record}`;
      index += 1;
    }
    yield index === 0 ? "]\n" : "\n]\n";
  }
  await pipeline(Readable.from(chunks()), out, { end: options.end ?? true });
}
