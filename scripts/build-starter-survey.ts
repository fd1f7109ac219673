/**
 * The starter survey (issue 12 §5), written here as readable data and
 * built into the XLSForm data/surveys/procurement-policies.xlsx:
 *
 *   node scripts/build-starter-survey.ts
 *
 * "Challenges and opportunities in shifting procurement policies toward
 * internet security standards", for procurement officers, not technicians:
 * about them, what their rules say today, barriers, what guidance would
 * help, and whether they would adopt a comply-or-explain list. English,
 * French and Spanish. `region` takes UN M49 area codes and `sector` short
 * codes, the names the observatory's institutions use, so results can be
 * set beside its matrices. Anonymous: nothing asks who or where exactly.
 *
 * Edit the data below, run the script, commit both files; a test
 * (src/surveys/xlsform-starter.test.ts) checks that the committed .xlsx
 * reads as this source does.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ExcelJS from "exceljs";

/** English, French, Spanish. */
type Text = readonly [en: string, fr: string, es: string];

const LANGUAGES = ["English (en)", "Français (fr)", "Español (es)"] as const;

interface SurveyRow {
  type: string;
  name?: string;
  label?: Text;
  hint?: Text;
  required?: boolean;
  requiredMessage?: Text;
  relevant?: string;
  constraint?: string;
  constraintMessage?: Text;
  choiceFilter?: string;
  appearance?: string;
  parameters?: string;
}

const CONSENTED = "${consent} = 'yes'";
const HAS_RULES = "${rules_today} = 'required' or ${rules_today} = 'recommended'";
const REQUIRED_MESSAGE: Text = ["Please answer this question.", "Merci de répondre à cette question.", "Por favor, responda a esta pregunta."];

export const SETTINGS = {
  form_title: "Security standards in public procurement: challenges and opportunities",
  form_id: "procurement_policies",
  version: "2026120701",
  default_language: "English (en)",
} as const;

// No start/end metadata: their times could help someone match an answer
// to the moment an invitation went out, and the analysis needs only the day.
export const SURVEY: readonly SurveyRow[] = [

  // The welcome page: the questions before the first group are one page, consent first.
  {
    type: "note",
    name: "intro",
    label: [
      "This short survey asks how public buyers deal with internet security when they buy IT services, such as websites, email or hosting. It takes about 10 minutes. There are no right or wrong answers, and no technical knowledge is needed.",
      "Ce court questionnaire porte sur la manière dont les acheteurs publics tiennent compte de la sécurité d'internet lorsqu'ils achètent des services informatiques (sites web, messagerie, hébergement). Il prend environ 10 minutes. Il n'y a pas de bonnes ou de mauvaises réponses, et aucune connaissance technique n'est nécessaire.",
      "Esta breve encuesta pregunta cómo tienen en cuenta los compradores públicos la seguridad de internet cuando contratan servicios informáticos, como sitios web, correo electrónico o alojamiento. Dura unos 10 minutos. No hay respuestas correctas ni incorrectas, y no se necesitan conocimientos técnicos.",
    ],
  },
  {
    type: "select_one yes_no",
    name: "consent",
    label: [
      "Your answers are anonymous: we do not record your name, email or IP address. Do you agree to take part?",
      "Vos réponses sont anonymes : nous n'enregistrons ni votre nom, ni votre adresse électronique, ni votre adresse IP. Acceptez-vous de participer ?",
      "Sus respuestas son anónimas: no registramos su nombre, su correo electrónico ni su dirección IP. ¿Acepta participar?",
    ],
    required: true,
    requiredMessage: REQUIRED_MESSAGE,
  },

  { type: "begin group", name: "about", label: ["About you", "À propos de vous", "Sobre usted"], relevant: CONSENTED },
  {
    type: "select_one roles",
    name: "role",
    label: ["Which best describes your role?", "Qu'est-ce qui décrit le mieux votre fonction ?", "¿Qué describe mejor su función?"],
    required: true,
    requiredMessage: REQUIRED_MESSAGE,
  },
  {
    type: "select_one regions",
    name: "region",
    label: ["In which region does your organisation work?", "Dans quelle région votre organisation travaille-t-elle ?", "¿En qué región trabaja su organización?"],
    required: true,
    requiredMessage: REQUIRED_MESSAGE,
  },
  {
    type: "select_one sectors",
    name: "sector",
    label: ["Which sector does your organisation belong to?", "À quel secteur votre organisation appartient-elle ?", "¿A qué sector pertenece su organización?"],
    required: true,
    requiredMessage: REQUIRED_MESSAGE,
  },
  {
    type: "integer",
    name: "experience",
    label: ["How many years have you worked in public procurement?", "Depuis combien d'années travaillez-vous dans les marchés publics ?", "¿Cuántos años lleva trabajando en contratación pública?"],
    hint: ["A whole number; 0 if less than a year.", "Un nombre entier ; 0 si moins d'un an.", "Un número entero; 0 si es menos de un año."],
    constraint: ". >= 0 and . <= 60",
    constraintMessage: ["Please enter a number from 0 to 60.", "Veuillez saisir un nombre entre 0 et 60.", "Introduzca un número entre 0 y 60."],
  },
  {
    type: "select_one volumes",
    name: "it_purchases",
    label: [
      "Roughly how many IT purchases (tenders or contracts) does your organisation make in a year?",
      "Combien d'achats informatiques (appels d'offres ou contrats) votre organisation effectue-t-elle à peu près chaque année ?",
      "¿Cuántas compras de informática (licitaciones o contratos) realiza su organización aproximadamente al año?",
    ],
  },
  { type: "end group" },

  { type: "begin group", name: "rules", label: ["Your rules today", "Vos règles aujourd'hui", "Sus normas hoy"], relevant: CONSENTED },
  {
    type: "select_one rules_state",
    name: "rules_today",
    label: [
      "Do your procurement rules or tender templates ask suppliers to follow specific internet security standards?",
      "Vos règles d'achat ou vos modèles de cahier des charges demandent-ils aux fournisseurs de respecter des normes de sécurité d'internet précises ?",
      "¿Sus normas de contratación o sus modelos de pliego piden a los proveedores que cumplan normas concretas de seguridad de internet?",
    ],
    hint: [
      "For example: secure websites (HTTPS) or protection against fake emails.",
      "Par exemple : sites web sécurisés (HTTPS) ou protection contre les faux courriels.",
      "Por ejemplo: sitios web seguros (HTTPS) o protección contra correos falsos.",
    ],
    required: true,
    requiredMessage: REQUIRED_MESSAGE,
  },
  {
    type: "select_multiple standards",
    name: "rules_which",
    label: ["Which ones do they mention?", "Lesquelles sont mentionnées ?", "¿Cuáles mencionan?"],
    hint: ["Select all that apply.", "Plusieurs réponses possibles.", "Puede marcar varias respuestas."],
    relevant: HAS_RULES,
  },
  {
    type: "select_one frequency",
    name: "rules_checked",
    label: [
      "After a contract is signed, how often does someone check that the supplier really applies these standards?",
      "Une fois le contrat signé, à quelle fréquence vérifie-t-on que le fournisseur applique réellement ces normes ?",
      "Una vez firmado el contrato, ¿con qué frecuencia se comprueba que el proveedor aplica realmente estas normas?",
    ],
    relevant: HAS_RULES,
  },
  { type: "end group" },

  { type: "begin group", name: "obstacles", label: ["Barriers", "Obstacles", "Obstáculos"], relevant: CONSENTED },
  {
    type: "select_multiple barriers or_other",
    name: "barriers",
    label: [
      "What makes it hard to ask for security standards in your tenders?",
      "Qu'est-ce qui rend difficile l'exigence de normes de sécurité dans vos appels d'offres ?",
      "¿Qué dificulta exigir normas de seguridad en sus licitaciones?",
    ],
    hint: ["Select all that apply.", "Plusieurs réponses possibles.", "Puede marcar varias respuestas."],
    required: true,
    requiredMessage: REQUIRED_MESSAGE,
  },
  {
    type: "select_one barriers",
    name: "main_barrier",
    label: ["And which of these is the biggest barrier?", "Et lequel de ces obstacles est le plus important ?", "¿Y cuál de ellos es el mayor obstáculo?"],
    choiceFilter: "selected(${barriers}, name)",
    relevant: "count-selected(${barriers}) > 1",
  },
  { type: "end group" },

  { type: "begin group", name: "help", label: ["What would help", "Ce qui vous aiderait", "Qué le ayudaría"], relevant: CONSENTED },
  {
    type: "select_multiple guidance",
    name: "guidance",
    label: ["Which kinds of support would help you most?", "Quels types d'aide vous seraient les plus utiles ?", "¿Qué tipo de apoyo le sería más útil?"],
    hint: ["Select all that apply.", "Plusieurs réponses possibles.", "Puede marcar varias respuestas."],
    required: true,
    requiredMessage: REQUIRED_MESSAGE,
  },
  {
    type: "rank formats",
    name: "formats",
    label: [
      "Put these formats in order, the most useful to you first.",
      "Classez ces formats, du plus utile au moins utile pour vous.",
      "Ordene estos formatos, del más útil al menos útil para usted.",
    ],
  },
  {
    type: "range",
    name: "list_usefulness",
    label: [
      "How useful would a ready-made list of security standards for IT tenders be to you?",
      "Quelle serait l'utilité pour vous d'une liste toute faite de normes de sécurité pour les appels d'offres informatiques ?",
      "¿Qué utilidad tendría para usted una lista ya preparada de normas de seguridad para licitaciones de informática?",
    ],
    hint: ["1 = not useful, 5 = very useful", "1 = pas utile, 5 = très utile", "1 = nada útil, 5 = muy útil"],
    parameters: "start=1 end=5 step=1",
  },
  { type: "end group" },

  { type: "begin group", name: "comply_explain", label: ["A comply-or-explain list", "Une liste « appliquer ou expliquer »", "Una lista de «cumplir o explicar»"], relevant: CONSENTED },
  {
    type: "note",
    name: "comply_explain_note",
    label: [
      "Some governments keep a list of standards that public buyers must ask for in IT tenders, unless they explain why not in their annual report. This is called \"comply or explain\".",
      "Certains gouvernements tiennent une liste de normes que les acheteurs publics doivent exiger dans leurs appels d'offres informatiques, sauf à expliquer pourquoi dans leur rapport annuel. C'est le principe « appliquer ou expliquer ».",
      "Algunos gobiernos mantienen una lista de normas que los compradores públicos deben exigir en sus licitaciones de informática, salvo que expliquen por qué no en su informe anual. Es el principio de «cumplir o explicar».",
    ],
  },
  {
    type: "select_one adoption",
    name: "adopt_list",
    label: [
      "Would your organisation be willing to adopt such a comply-or-explain list?",
      "Votre organisation serait-elle prête à adopter une telle liste « appliquer ou expliquer » ?",
      "¿Estaría su organización dispuesta a adoptar una lista así de «cumplir o explicar»?",
    ],
    required: true,
    requiredMessage: REQUIRED_MESSAGE,
  },
  {
    type: "text",
    name: "adopt_why_not",
    label: ["What holds you back?", "Qu'est-ce qui vous retient ?", "¿Qué se lo impide?"],
    relevant: "${adopt_list} = 'probably_not' or ${adopt_list} = 'no'",
    appearance: "multiline",
  },
  {
    type: "text",
    name: "comments",
    label: [
      "Is there anything else you would like to tell us?",
      "Souhaitez-vous ajouter quelque chose ?",
      "¿Hay algo más que quiera decirnos?",
    ],
    hint: [
      "Please do not write names or other details that could identify you.",
      "Merci de ne pas indiquer de noms ni d'autres détails permettant de vous identifier.",
      "Por favor, no escriba nombres ni otros datos que puedan identificarle.",
    ],
    appearance: "multiline",
  },
  { type: "end group" },
];

type ChoiceRow = readonly [list: string, name: string, label: Text];

export const CHOICES: readonly ChoiceRow[] = [
  ["yes_no", "yes", ["Yes", "Oui", "Sí"]],
  ["yes_no", "no", ["No", "Non", "No"]],

  ["roles", "buyer", ["Buyer or procurement officer", "Acheteur ou chargé des achats", "Comprador o responsable de compras"]],
  ["roles", "head_procurement", ["Head of a procurement team", "Responsable d'un service achats", "Jefe de un equipo de compras"]],
  ["roles", "legal", ["Legal adviser", "Juriste", "Asesor jurídico"]],
  ["roles", "policy", ["Policy maker", "Responsable des politiques publiques", "Responsable de políticas públicas"]],
  ["roles", "it_manager", ["IT manager who helps with purchases", "Responsable informatique associé aux achats", "Responsable de informática que participa en las compras"]],
  ["roles", "other_role", ["Another role", "Une autre fonction", "Otra función"]],

  // UN M49 macro-regions, the codes the observatory stores (001 = an organisation working worldwide).
  ["regions", "002", ["Africa", "Afrique", "África"]],
  ["regions", "019", ["Americas", "Amériques", "Américas"]],
  ["regions", "142", ["Asia", "Asie", "Asia"]],
  ["regions", "150", ["Europe", "Europe", "Europa"]],
  ["regions", "009", ["Oceania", "Océanie", "Oceanía"]],
  ["regions", "001", ["Worldwide (an international organisation)", "Monde entier (organisation internationale)", "Todo el mundo (organización internacional)"]],

  ["sectors", "central_government", ["Central government", "Administration centrale", "Administración central"]],
  ["sectors", "local_government", ["Regional or local government", "Collectivité régionale ou locale", "Administración regional o local"]],
  ["sectors", "health", ["Health", "Santé", "Salud"]],
  ["sectors", "education", ["Education and research", "Enseignement et recherche", "Educación e investigación"]],
  ["sectors", "utilities", ["Energy, water or transport", "Énergie, eau ou transports", "Energía, agua o transporte"]],
  ["sectors", "finance", ["Finance and tax", "Finances et fiscalité", "Finanzas e impuestos"]],
  ["sectors", "security", ["Defence, justice or security", "Défense, justice ou sécurité", "Defensa, justicia o seguridad"]],
  ["sectors", "international", ["International organisation", "Organisation internationale", "Organización internacional"]],
  ["sectors", "other_sector", ["Another sector", "Un autre secteur", "Otro sector"]],

  ["volumes", "under_10", ["Fewer than 10", "Moins de 10", "Menos de 10"]],
  ["volumes", "10_to_50", ["10 to 50", "De 10 à 50", "De 10 a 50"]],
  ["volumes", "50_to_200", ["50 to 200", "De 50 à 200", "De 50 a 200"]],
  ["volumes", "over_200", ["More than 200", "Plus de 200", "Más de 200"]],
  ["volumes", "dont_know", ["I don't know", "Je ne sais pas", "No lo sé"]],

  ["rules_state", "required", ["Yes, they require them", "Oui, elles les imposent", "Sí, las exigen"]],
  ["rules_state", "recommended", ["Yes, they recommend them", "Oui, elles les recommandent", "Sí, las recomiendan"]],
  ["rules_state", "no", ["No", "Non", "No"]],
  ["rules_state", "dont_know", ["I don't know", "Je ne sais pas", "No lo sé"]],

  ["standards", "https", ["Secure websites (HTTPS)", "Sites web sécurisés (HTTPS)", "Sitios web seguros (HTTPS)"]],
  ["standards", "email_auth", ["Protection against fake emails (SPF, DKIM, DMARC)", "Protection contre les faux courriels (SPF, DKIM, DMARC)", "Protección contra correos falsos (SPF, DKIM, DMARC)"]],
  ["standards", "email_encryption", ["Encrypted email between servers (STARTTLS, DANE)", "Courriel chiffré entre serveurs (STARTTLS, DANE)", "Correo cifrado entre servidores (STARTTLS, DANE)"]],
  ["standards", "dnssec", ["Signed domain names (DNSSEC)", "Noms de domaine signés (DNSSEC)", "Nombres de dominio firmados (DNSSEC)"]],
  ["standards", "ipv6", ["The modern internet address system (IPv6)", "Le système moderne d'adresses internet (IPv6)", "El sistema moderno de direcciones de internet (IPv6)"]],
  ["standards", "rpki", ["Secure internet routing (RPKI)", "Routage internet sécurisé (RPKI)", "Enrutamiento seguro de internet (RPKI)"]],
  ["standards", "security_txt", ["A contact for reporting security problems (security.txt)", "Un contact pour signaler les failles (security.txt)", "Un contacto para avisar de fallos de seguridad (security.txt)"]],
  ["standards", "not_sure", ["I'm not sure", "Je ne suis pas sûr", "No estoy seguro"]],

  ["frequency", "always", ["Always", "Toujours", "Siempre"]],
  ["frequency", "sometimes", ["Sometimes", "Parfois", "A veces"]],
  ["frequency", "rarely", ["Rarely", "Rarement", "Rara vez"]],
  ["frequency", "never", ["Never", "Jamais", "Nunca"]],
  ["frequency", "dont_know", ["I don't know", "Je ne sais pas", "No lo sé"]],

  ["barriers", "expertise", ["We lack technical knowledge in the team", "Nous manquons de compétences techniques dans l'équipe", "Nos faltan conocimientos técnicos en el equipo"]],
  ["barriers", "which_standards", ["It is unclear which standards to ask for", "On ne sait pas quelles normes exiger", "No está claro qué normas exigir"]],
  ["barriers", "fewer_bids", ["We fear fewer or more expensive bids", "Nous craignons moins d'offres ou des offres plus chères", "Tememos recibir menos ofertas o más caras"]],
  ["barriers", "legal", ["Legal uncertainty (competition or procurement law)", "Incertitude juridique (droit de la concurrence ou des marchés)", "Inseguridad jurídica (derecho de la competencia o de contratos)"]],
  ["barriers", "no_mandate", ["No one has asked us to", "Personne ne nous l'a demandé", "Nadie nos lo ha pedido"]],
  ["barriers", "checking", ["We cannot check whether suppliers comply", "Nous ne pouvons pas vérifier si les fournisseurs s'y conforment", "No podemos comprobar si los proveedores cumplen"]],
  ["barriers", "time", ["Lack of time", "Manque de temps", "Falta de tiempo"]],

  ["guidance", "model_clauses", ["Model clauses to copy into tenders", "Des clauses types à reprendre dans les appels d'offres", "Cláusulas modelo para copiar en las licitaciones"]],
  ["guidance", "standards_list", ["An official list of standards to ask for", "Une liste officielle des normes à exiger", "Una lista oficial de normas que exigir"]],
  ["guidance", "checking_tool", ["A free online tool to check suppliers", "Un outil en ligne gratuit pour vérifier les fournisseurs", "Una herramienta en línea gratuita para comprobar a los proveedores"]],
  ["guidance", "training", ["Short training for buyers", "Une courte formation pour les acheteurs", "Una formación breve para compradores"]],
  ["guidance", "helpdesk", ["Someone to ask when in doubt", "Une personne à qui poser ses questions", "Alguien a quien consultar en caso de duda"]],
  ["guidance", "examples", ["Examples from other public buyers", "Des exemples d'autres acheteurs publics", "Ejemplos de otros compradores públicos"]],

  ["formats", "checklist", ["A one-page checklist", "Une liste de contrôle d'une page", "Una lista de comprobación de una página"]],
  ["formats", "tender_text", ["Ready-to-use tender text", "Un texte prêt à l'emploi pour l'appel d'offres", "Un texto listo para usar en la licitación"]],
  ["formats", "online_tool", ["An online tool", "Un outil en ligne", "Una herramienta en línea"]],
  ["formats", "workshop", ["A workshop with peers", "Un atelier entre pairs", "Un taller con otros compradores"]],

  ["adoption", "yes", ["Yes", "Oui", "Sí"]],
  ["adoption", "probably", ["Probably", "Probablement", "Probablemente"]],
  ["adoption", "unsure", ["Not sure yet", "Je ne sais pas encore", "Aún no lo sé"]],
  ["adoption", "probably_not", ["Probably not", "Probablement pas", "Probablemente no"]],
  ["adoption", "no", ["No", "Non", "No"]],
];

const translated = (name: string): string[] => LANGUAGES.map((language) => `${name}::${language}`);
const texts = (text: Text | undefined): string[] => (text ? [...text] : ["", "", ""]);

/** The three sheets as rows of text, header first: what both the .xlsx and the test use. */
export function starterSurveySheets(): Record<"survey" | "choices" | "settings", string[][]> {
  const survey = [
    ["type", "name", ...translated("label"), ...translated("hint"), "required", ...translated("required_message"), "relevant", "constraint", ...translated("constraint_message"), "choice_filter", "appearance", "parameters"],
    ...SURVEY.map((row) => [
      row.type,
      row.name ?? "",
      ...texts(row.label),
      ...texts(row.hint),
      row.required ? "yes" : "",
      ...texts(row.requiredMessage),
      row.relevant ?? "",
      row.constraint ?? "",
      ...texts(row.constraintMessage),
      row.choiceFilter ?? "",
      row.appearance ?? "",
      row.parameters ?? "",
    ]),
  ];
  const choices = [["list_name", "name", ...translated("label")], ...CHOICES.map(([list, name, label]) => [list, name, ...label])];
  const settings = [Object.keys(SETTINGS), Object.values(SETTINGS)];
  return { survey, choices, settings };
}

/** The workbook's bytes; the dates fixed so that a rebuild without changes gives the same content. */
export async function buildStarterSurvey(): Promise<Uint8Array> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = "Baseline";
  workbook.created = new Date(Date.UTC(2026, 11, 7));
  workbook.modified = workbook.created;
  for (const [name, rows] of Object.entries(starterSurveySheets())) {
    const sheet = workbook.addWorksheet(name);
    // Every cell as text: a choice named "002" must stay "002", not become the number 2.
    for (const row of rows) sheet.addRow(row);
    sheet.getRow(1).font = { bold: true };
    sheet.views = [{ state: "frozen", ySplit: 1 }];
    sheet.columns.forEach((column) => {
      column.width = 24;
    });
  }
  return new Uint8Array(await workbook.xlsx.writeBuffer());
}

export const STARTER_SURVEY_PATH = fileURLToPath(new URL("../data/surveys/procurement-policies.xlsx", import.meta.url));

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(STARTER_SURVEY_PATH, await buildStarterSurvey());
  console.error(`wrote ${STARTER_SURVEY_PATH}`);
}
