/**
 * The HTML of one page of a survey being answered: its questions as form
 * fields (fieldset and legend for groups and choice lists, hints and
 * errors tied to their field with aria-describedby), the error summary at
 * the top, the progress indicator and the language switch. Pure functions
 * of the form, the answers and the language: routes/surveys.ts decides
 * which page to show and handles what comes back.
 *
 * Works without JavaScript: every question relevant to the answers so far
 * is shown; one that becomes relevant through an answer on the same page
 * appears when the page is sent (the route shows the page again).
 */
import { choicesFor, isRelevant, type FieldError, type Page } from "../surveys/engine.ts";
import { languageCode, otherFieldName, OTHER_CHOICE, textIn, type Answers, type Choice, type Form, type Question, type Translated } from "../surveys/form.ts";
import { html, type SafeHtml } from "./html.ts";
import type { Translate } from "./i18n.ts";

/** The page's own styles (the layout's stylesheet does the rest). */
export const SURVEY_STYLE = `
.sv-progress{margin:.4rem 0 1rem}.sv-progress progress{width:100%;max-width:24rem;height:1rem;display:block}
.sv-resume{background:#eef4fa;border:1px solid #9fc4e6;padding:.5rem .8rem;margin:1rem 0;overflow-wrap:anywhere}
.sv-summary{border:3px solid #a4000f;padding:.6rem 1rem;margin:0 0 1rem}
.sv-summary h2{margin:.2rem 0;font-size:1.15rem}
.sv-summary a{color:#a4000f;font-weight:600}
.sv-q{margin:1.2rem 0;padding:0;border:0}
.sv-q.sv-invalid{border-left:4px solid #a4000f;padding-left:.8rem}
.sv-q legend,.sv-q .sv-label{font-weight:600;padding:0;margin:0 0 .2rem;display:block}
.sv-q .sv-option{font-weight:normal;display:flex;gap:.5rem;align-items:flex-start;margin:.35rem 0}
.sv-q .sv-option input{margin-top:.3rem}
.sv-q input[type=text],.sv-q textarea{max-width:36rem}
.sv-hint{color:#444;margin:.1rem 0 .3rem}
.sv-req{color:#a4000f;font-weight:600}
.sv-group{border:1px solid #c9d3dd;padding:.4rem 1rem;margin:1rem 0}
.sv-group>legend{font-weight:700;font-size:1.1rem;padding:0 .3rem}
.sv-note{background:#f5f7fa;padding:.5rem .8rem;border-left:4px solid #9aa5b1}
.sv-readonly{margin:.2rem 0}
.sv-rank{display:grid;grid-template-columns:max-content minmax(0,20rem);justify-content:start;gap:.3rem .8rem;align-items:center}
.sv-scale{display:flex;flex-wrap:wrap;gap:.2rem 1.2rem}
.sv-rank label{margin:0;font-weight:normal}
.sv-actions{display:flex;flex-wrap:wrap;gap:.8rem;margin:1.5rem 0}
.sv-actions button.sv-secondary{background:#fff;color:#0b4f8a;border:2px solid #0b4f8a}
.sv-langs{list-style:none;padding:0;margin:.3rem 0;display:flex;flex-wrap:wrap;gap:.3rem 1rem}
.sv-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
`;

/** What a page is rendered from. */
export interface PageView {
  form: Form;
  page: Page;
  /** The answers so far (the session's, with this page's last post applied). */
  answers: Answers;
  /** What was just posted for this page, shown back when it had errors; absent on a fresh page. */
  posted?: Readonly<Record<string, string | readonly string[]>>;
  errors: readonly FieldError[];
  /** The form's language (as the form names it). */
  language: string;
  t: Translate;
  now: Date;
  /** 1-based position among the relevant pages, and how many there are. */
  position: number;
  total: number;
  /** The URL the page's form posts to. */
  action: string;
  isFirst: boolean;
  isLast: boolean;
}

/** Text for a Translated in the page's language, `${name}` references replaced by the answers (as ODK's output does). */
export function formText(form: Form, text: Translated, language: string, answers: Answers): string {
  // Any name the reader accepts (${prénom} too); only the answers' own keys, never what an object inherits (${constructor}).
  return textIn(text, language, form).replace(/\$\{([^}]+)\}/g, (_, name: string) => (Object.hasOwn(answers, name) ? (answers[name] ?? "") : ""));
}

/** A question's label, or its name when the form gives none. */
function labelOf(view: Pick<PageView, "form" | "language" | "answers">, question: Question): string {
  return formText(view.form, question.label, view.language, view.answers) || question.name;
}

/** The id of the element an error links to: the field, or a choice list's first option. */
export function fieldId(question: Question): string {
  return isChoiceList(question) ? `q-${question.name}--0` : `q-${question.name}`;
}

function isChoiceList(question: Question): boolean {
  return question.type === "select_multiple" || question.type === "rank" || (question.type === "select_one" && !isMinimal(question)) || (question.type === "range" && scaleOf(question) !== null);
}

function isMinimal(question: Question): boolean {
  return /\bminimal\b/.test(question.appearance ?? "");
}

/** What an error says: the form's own message in the page's language, else ours for its kind. */
export function errorText(view: Pick<PageView, "form" | "language" | "answers" | "t">, question: Question | undefined, error: FieldError): string {
  const own = error.message ? formText(view.form, error.message, view.language, view.answers) : "";
  if (own) return own;
  const { t } = view;
  switch (error.code) {
    case "required":
      return t("surveys.error.required");
    case "constraint":
      return t("surveys.error.constraint");
    case "choice":
      return t("surveys.error.choice");
    case "range":
      return t("surveys.error.range", { min: question?.parameters.start ?? "", max: question?.parameters.end ?? "" });
    case "type":
      switch (question?.type) {
        case "integer":
          return t("surveys.error.integer");
        case "decimal":
        case "range":
          return t("surveys.error.decimal");
        case "date":
          return t("surveys.error.date");
        case "time":
          return t("surveys.error.time");
        case "datetime":
          return t("surveys.error.datetime");
        default:
          return t("surveys.error.other");
      }
    default:
      return t("surveys.error.other");
  }
}

/**
 * The values each field shows: the stored answers, or for the fields of
 * this page what was just posted (so that a wrong entry comes back to be
 * corrected, not lost). Lists (select_multiple, rank) as arrays.
 */
function shownValues(view: PageView): (name: string) => string[] {
  const { posted, answers } = view;
  const multi = new Set(view.form.questions.filter((question) => question.type === "select_multiple" || question.type === "rank").map((question) => question.name));
  const onPage = new Set(view.page.questions.flatMap((question) => [question.name, otherFieldName(question)]));
  return (name) => {
    if (posted && onPage.has(name)) {
      const value = posted[name];
      return value === undefined ? [] : typeof value === "string" ? [value] : [...value];
    }
    const stored = answers[name] ?? "";
    if (stored === "") return [];
    return multi.has(name) ? stored.split(" ").filter(Boolean) : [stored];
  };
}

/** The error summary at the top: each error a link to its field. */
export function errorSummary(view: Pick<PageView, "form" | "language" | "answers" | "t">, errors: readonly FieldError[]): SafeHtml {
  if (errors.length === 0) return html``;
  const { t } = view;
  const byName = new Map(view.form.questions.map((question) => [question.name, question]));
  return html`<div class="sv-summary" role="alert" aria-labelledby="sv-summary-title" tabindex="-1" id="sv-summary">
    <h2 id="sv-summary-title">${t("surveys.errors.title", { count: errors.length })}</h2>
    <ul>${errors.map((error) => {
      const question = byName.get(error.name);
      const label = question ? labelOf({ ...view }, question) : error.name;
      return html`<li><a href="#${question ? fieldId(question) : `q-${error.name}`}">${label} — ${errorText(view, question, error)}</a></li>`;
    })}</ul>
  </div>`;
}

/** "Page 2 of 5" with a <progress> element that says the same. */
export function progress(t: Translate, position: number, total: number): SafeHtml {
  const text = t("surveys.progress", { page: position, pages: total });
  return html`<div class="sv-progress"><p id="sv-progress-text">${text}</p><progress max="${total}" value="${position}" aria-labelledby="sv-progress-text">${text}</progress></div>`;
}

/** Links to the same page in each of the form's languages (none when it has one). */
export function languageSwitch(t: Translate, form: Form, current: string, href: (language: string) => string): SafeHtml {
  if (form.languages.length < 2) return html``;
  return html`<nav aria-label="${t("surveys.languages")}"><ul class="sv-langs">${form.languages.map((language) => {
    const code = languageCode(language);
    const name = language.replace(/\s*\([^)]*\)\s*$/, "") || language;
    return language === current
      ? html`<li><strong aria-current="true"${code ? html` lang="${code}"` : ""}>${name}</strong></li>`
      : html`<li><a href="${href(code ?? language)}"${code ? html` lang="${code}" hreflang="${code}"` : ""}>${name}</a></li>`;
  })}</ul></nav>`;
}

/** "Questions marked * need an answer", when some shown question does. */
export function requiredNote(view: Pick<PageView, "form" | "page" | "answers" | "now" | "t">): SafeHtml {
  const any = view.page.questions.some((question) => question.required && question.type !== "note" && !question.readOnly && isRelevant(view.form, question, view.answers, view.now));
  return any ? html`<p class="sv-hint">${view.t("surveys.requiredNote")}</p>` : html``;
}

/** The questions of the page, nested groups as fieldsets. */
export function pageFields(view: PageView): SafeHtml {
  const { form, page, answers, now } = view;
  const shown = shownValues(view);
  const errors = new Map<string, FieldError>();
  for (const error of view.errors) if (!errors.has(error.name)) errors.set(error.name, error);
  const groups = new Map(form.groups.map((group) => [group.path, group]));
  const top = page.group?.path ?? "";
  const parts: SafeHtml[] = [];
  // The nested groups open around the current question, outermost first.
  let open: string[] = [];
  const pathsOf = (group: string): string[] => {
    if (group === "" || group === top) return [];
    const names = group.split("/");
    const paths = names.map((_, index) => names.slice(0, index + 1).join("/"));
    return paths.filter((path) => path.length > top.length && (top === "" || path.startsWith(`${top}/`)));
  };
  const others = otherFieldsOf(page);
  for (const question of page.questions) {
    // An or_other's text question is shown with its list (otherField), whether or not "other" is ticked yet.
    if (others.has(question.name) || !isRelevant(form, question, answers, now)) continue;
    const wanted = pathsOf(question.group);
    let common = 0;
    while (common < open.length && common < wanted.length && open[common] === wanted[common]) common++;
    for (let index = open.length; index > common; index--) parts.push(html`</fieldset>`);
    for (const path of wanted.slice(common)) {
      const group = groups.get(path);
      const label = group ? formText(form, group.label, view.language, answers) : "";
      parts.push(html`<fieldset class="sv-group"><legend>${label || path.split("/").at(-1) || path}</legend>`);
    }
    open = wanted;
    parts.push(questionField(view, question, shown, errors));
  }
  for (let index = open.length; index > 0; index--) parts.push(html`</fieldset>`);
  return html`${parts}`;
}

function questionField(view: PageView, question: Question, shown: (name: string) => string[], errors: ReadonlyMap<string, FieldError>): SafeHtml {
  const error = errors.get(question.name);
  const { form, language, answers, t } = view;
  const name = question.name;
  const id = `q-${name}`;
  const label = labelOf(view, question);
  const hintText = formText(form, question.hint, language, answers);
  const hint = hintText ? html`<p class="sv-hint" id="${id}-hint">${hintText}</p>` : html``;
  const errorLine = error ? html`<p class="error" id="${id}-error">${errorText(view, question, error)}</p>` : html``;
  const describedIds = [hintText ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ");
  const described = describedIds ? html` aria-describedby="${describedIds}"` : html``;
  const invalid = error ? html` aria-invalid="true"` : html``;
  const required = question.required ? html` <span class="sv-req" aria-hidden="true">*</span><span class="sv-sr">(${t("surveys.required")})</span>` : html``;
  const requiredAttribute = question.required ? html` aria-required="true"` : html``;
  const value = shown(name)[0] ?? "";
  const wrapClass = `sv-q${error ? " sv-invalid" : ""}`;

  if (question.type === "note") {
    return html`<div class="sv-q sv-note" id="${id}"><p>${label}</p>${hint}</div>`;
  }
  if (question.readOnly) {
    const stored = answers[name] ?? "";
    const choices = question.choices ?? [];
    const text = stored === "" ? "—" : question.choices ? stored.split(" ").map((item) => choiceLabel(view, choices.find((choice) => choice.name === item)) || item).join(", ") : stored;
    return html`<div class="${wrapClass}" id="${id}"><span class="sv-label">${label}</span>${hint}<p class="sv-readonly">${text}</p></div>`;
  }
  switch (question.type) {
    case "select_one": {
      const choices = choicesFor(form, question, answers, view.now);
      const other = otherField(view, question, shown, choices, errors);
      if (isMinimal(question)) {
        return html`<div class="${wrapClass}"><label for="${id}">${label}${required}</label>${hint}${errorLine}<select id="${id}" name="${name}"${described}${invalid}${requiredAttribute}><option value="">${t("surveys.choose")}</option>${choices.map(
          (choice) => html`<option value="${choice.name}"${choice.name === value ? " selected" : ""}>${choiceLabel(view, choice)}</option>`,
        )}</select>${other}</div>`;
      }
      return html`<fieldset class="${wrapClass}"${described}><legend>${label}${required}</legend>${hint}${errorLine}${choices.map(
        (choice, index) =>
          html`<label class="sv-option" for="${id}--${index}"><input type="radio" id="${id}--${index}" name="${name}" value="${choice.name}"${choice.name === value ? " checked" : ""}${invalid}> <span>${choiceLabel(view, choice)}</span></label>`,
      )}${other}</fieldset>`;
    }
    case "select_multiple": {
      const choices = choicesFor(form, question, answers, view.now);
      const selected = new Set(shown(name));
      return html`<fieldset class="${wrapClass}"${described}><legend>${label}${required}</legend>${hint}${errorLine}${choices.map(
        (choice, index) =>
          html`<label class="sv-option" for="${id}--${index}"><input type="checkbox" id="${id}--${index}" name="${name}" value="${choice.name}"${selected.has(choice.name) ? " checked" : ""}${invalid}> <span>${choiceLabel(view, choice)}</span></label>`,
      )}${otherField(view, question, shown, choices, errors)}</fieldset>`;
    }
    case "rank": {
      const choices = choicesFor(form, question, answers, view.now);
      const order = shown(name);
      return html`<fieldset class="${wrapClass}"${described}><legend>${label}${required}</legend>${hint}<p class="sv-hint">${t("surveys.rank.hint")}</p>${errorLine}<div class="sv-rank">${choices.map(
        (_, index) =>
          html`<label for="${id}--${index}">${t("surveys.rank.position", { position: index + 1 })}</label><select id="${id}--${index}" name="${name}"${invalid}><option value="">${t("surveys.choose")}</option>${choices.map(
            (choice) => html`<option value="${choice.name}"${order[index] === choice.name ? " selected" : ""}>${choiceLabel(view, choice)}</option>`,
          )}</select>`,
      )}</div></fieldset>`;
    }
    case "range": {
      // A short scale (a 1 to 5 rating) as radio buttons: every value visible, no typing.
      const steps = scaleOf(question);
      if (!steps) break;
      return html`<fieldset class="${wrapClass}"${described}><legend>${label}${required}</legend>${hint}${errorLine}<div class="sv-scale">${steps.map(
        (step, index) => html`<label class="sv-option" for="${id}--${index}"><input type="radio" id="${id}--${index}" name="${name}" value="${step}"${Number(value) === Number(step) && value !== "" ? " checked" : ""}${invalid}> <span>${step}</span></label>`,
      )}</div></fieldset>`;
    }
    case "acknowledge":
      return html`<div class="${wrapClass}">${hint}${errorLine}<label class="sv-option" for="${id}"><input type="checkbox" id="${id}" name="${name}" value="OK"${value === "OK" ? " checked" : ""}${described}${invalid}${requiredAttribute}> <span>${label}${required}</span></label></div>`;
    default:
      break;
  }
  const input = textInput(question, id, name, value, html`${described}${invalid}${requiredAttribute}`);
  return html`<div class="${wrapClass}"><label for="${id}">${label}${required}</label>${hint}${errorLine}${input}</div>`;
}

/** The values of a range of at most 11 whole steps (start, end, step parameters; default 1 to 10 by 1), else null. */
function scaleOf(question: Question): string[] | null {
  const start = Number(question.parameters.start ?? "1");
  const end = Number(question.parameters.end ?? "10");
  const step = Number(question.parameters.step ?? "1");
  if (![start, end, step].every(Number.isFinite) || step === 0 || (end - start) / step < 0) return null;
  const count = Math.floor((end - start) / step + 1e-9) + 1;
  if (count > 11 || ![start, step].every(Number.isInteger)) return null;
  return Array.from({ length: count }, (_, index) => String(start + index * step));
}

/**
 * The names of the "other" text questions of the page's or_other lists
 * (pyxform adds them to the form as `${name}_other`, relevant when "other"
 * is ticked): shown with their list instead, so that no second round trip
 * is needed to type the text.
 */
export function otherFieldsOf(page: Page): Set<string> {
  return new Set(page.questions.filter((question) => question.orOther).map(otherFieldName));
}

/** The free-text field of an or_other question (shown with the list: without a script it cannot appear on "other" alone). */
function otherField(view: PageView, question: Question, shown: (name: string) => string[], choices: readonly Choice[], errors: ReadonlyMap<string, FieldError>): SafeHtml {
  if (!question.orOther || !choices.some((choice) => choice.name === OTHER_CHOICE)) return html``;
  const name = otherFieldName(question);
  const error = errors.get(name);
  const otherQuestion = view.form.questions.find((candidate) => candidate.name === name);
  return html`<label for="q-${name}" class="sv-other">${view.t("surveys.other")}</label>${error ? html`<p class="error" id="q-${name}-error">${errorText(view, otherQuestion, error)}</p>` : ""}<input type="text" id="q-${name}" name="${name}" value="${shown(name)[0] ?? ""}" autocomplete="off"${error ? html` aria-invalid="true" aria-describedby="q-${name}-error"` : ""}>`;
}

function choiceLabel(view: Pick<PageView, "form" | "language" | "answers" | "t">, choice: Choice | undefined): string {
  if (!choice) return "";
  const text = formText(view.form, choice.label, view.language, view.answers);
  // The reader labels or_other's added choice "Other" in every language, as pyxform does: ours is translated.
  if (choice.name === OTHER_CHOICE && (text === "" || text === "Other")) return view.t("surveys.otherChoice");
  return text || choice.name;
}

/** The input of a question typed in: text, numbers (typed as text, checked on the server), dates and times. */
function textInput(question: Question, id: string, name: string, value: string, attributes: SafeHtml): SafeHtml {
  switch (question.type) {
    case "integer":
      return html`<input type="text" inputmode="numeric" id="${id}" name="${name}" value="${value}" size="12" autocomplete="off"${attributes}>`;
    case "decimal":
      return html`<input type="text" inputmode="decimal" id="${id}" name="${name}" value="${value}" size="12" autocomplete="off"${attributes}>`;
    case "range": {
      const { start = "", end = "", step = "" } = question.parameters;
      return html`<input type="number" id="${id}" name="${name}" value="${value}"${start ? html` min="${start}"` : ""}${end ? html` max="${end}"` : ""}${step ? html` step="${step}"` : ""}${attributes}>`;
    }
    case "date":
      return html`<input type="date" id="${id}" name="${name}" value="${value.slice(0, 10)}"${attributes}>`;
    case "time":
      return html`<input type="time" id="${id}" name="${name}" value="${value.slice(0, 5)}"${attributes}>`;
    case "datetime":
      return html`<input type="datetime-local" id="${id}" name="${name}" value="${value.slice(0, 16)}"${attributes}>`;
    default:
      return /\bmultiline\b/.test(question.appearance ?? "")
        ? html`<textarea id="${id}" name="${name}" rows="4" autocomplete="off"${attributes}>${value}</textarea>`
        : html`<input type="text" id="${id}" name="${name}" value="${value}" autocomplete="off"${attributes}>`;
  }
}
