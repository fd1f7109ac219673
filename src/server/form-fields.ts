/**
 * A posted form's fields as the staff pages read them: each field's last
 * value, text or an uploaded file; `text` gives "" for a missing field or
 * a file where text was expected, so that a handler validates one shape.
 */
import type { AppContext } from "./context.ts";

export type FormFields = Record<string, string | File>;

export async function formFields(c: AppContext): Promise<FormFields> {
  const body = await c.req.parseBody();
  const form: FormFields = {};
  for (const [key, value] of Object.entries(body)) if (typeof value === "string" || value instanceof File) form[key] = value;
  return form;
}

export function textField(form: FormFields, name: string): string {
  const value = form[name];
  return typeof value === "string" ? value : "";
}
