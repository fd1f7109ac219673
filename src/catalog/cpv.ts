/**
 * The CPV 2008 main vocabulary (Commission Regulation (EC) No 213/2008):
 * 9,454 codes with check digits and labels, read from
 * `catalog/cpv/cpv-2008.csv` (a copy of the EU Publications Office data; see
 * catalog/cpv/SOURCE.md).
 *
 * The hierarchy is positional: 72415000 sits under 72410000, 72400000 and
 * 72000000. A code's ancestors are found by zeroing its significant digits
 * from the right, keeping only codes that exist in the vocabulary.
 */
import { readFileSync } from "node:fs";
import { parse } from "csv-parse/sync";

export interface CpvEntry {
  /** Eight digits, leading zeros kept: "03111000". */
  code: string;
  checkDigit: string;
  labels: Record<string, string>;
}

/** A parsed user-supplied code: eight digits, with the check digit if one was given. */
export interface CpvInput {
  code: string;
  checkDigit: string | undefined;
}

export class CpvVocabulary {
  readonly #entries: Map<string, CpvEntry>;

  constructor(entries: Iterable<CpvEntry>) {
    this.#entries = new Map([...entries].map((entry) => [entry.code, entry]));
  }

  static fromCsv(path: string): CpvVocabulary {
    const rows: Record<string, string>[] = parse(readFileSync(path, "utf8"), { columns: true, skip_empty_lines: true, bom: true });
    return new CpvVocabulary(
      rows.map((row) => {
        const labels: Record<string, string> = {};
        for (const [column, value] of Object.entries(row)) {
          if (column.startsWith("label_")) labels[column.slice("label_".length)] = value;
        }
        return { code: row.code ?? "", checkDigit: row.check_digit ?? "", labels };
      }),
    );
  }

  get size(): number {
    return this.#entries.size;
  }

  get(code: string): CpvEntry | undefined {
    return this.#entries.get(code);
  }

  /** "72415000-2" */
  format(entry: CpvEntry): string {
    return `${entry.code}-${entry.checkDigit}`;
  }

  label(entry: CpvEntry, language: string): string {
    return entry.labels[language] ?? entry.labels.en ?? "";
  }

  /**
   * Looks up a code written as "72415000-2" or "72415000" (eForms writes no
   * check digit). Throws a CpvError saying what is wrong otherwise.
   */
  resolve(input: string): CpvEntry {
    const parsed = parseCpv(input);
    const entry = this.#entries.get(parsed.code);
    if (!entry) throw new CpvError(`CPV code ${input} is not in the CPV 2008 vocabulary`);
    if (parsed.checkDigit !== undefined && parsed.checkDigit !== entry.checkDigit) {
      throw new CpvError(
        `CPV code ${input} has a wrong check digit: did you mean ${this.format(entry)} (${this.label(entry, "en")})?`,
      );
    }
    return entry;
  }

  /** The entry itself, then its parent, up to its division. */
  lineage(entry: CpvEntry): CpvEntry[] {
    const lineage = [entry];
    const digits = entry.code.split("");
    // Positions 7..2 (0-based): the division (first two digits) is the root.
    for (let position = 7; position >= 2; position--) {
      if (digits[position] === "0") continue;
      digits[position] = "0";
      const ancestor = this.#entries.get(digits.join(""));
      if (ancestor) lineage.push(ancestor);
    }
    return lineage;
  }
}

export class CpvError extends Error {
  override name = "CpvError";
}

export function parseCpv(input: string): CpvInput {
  const match = /^(\d{8})(?:-(\d))?$/.exec(input.trim());
  if (!match) throw new CpvError(`CPV code ${input} is malformed: expected eight digits and a check digit, like 72415000-2`);
  return { code: match[1] as string, checkDigit: match[2] };
}
