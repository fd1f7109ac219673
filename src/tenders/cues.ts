/**
 * The words around a mention that decide what it means: a requirement
 * ("shall", "moet", "doit", "debe", "muss", "deve"), a wish or award
 * criterion ("preferably", "bij voorkeur", "de préférence"...), a negation or
 * exclusion ("is not required", "valt buiten de scope"...), a statement of
 * what already exists ("the current site already uses"), or a demand to
 * switch a legacy protocol off. One list per language; all lists apply to
 * every document, because tenders mix languages (English standard names in
 * Dutch text, bilingual notices).
 *
 * Patterns are matched case-insensitively against one clause of a sentence.
 */

const words = (...patterns: string[]): RegExp => new RegExp(`(?<![\\p{L}\\p{N}])(?:${patterns.join("|")})(?![\\p{L}\\p{N}])`, "iu");
const stems = (...patterns: string[]): RegExp => new RegExp(`(?<![\\p{L}\\p{N}])(?:${patterns.join("|")})`, "iu");

/** Negation and exclusion: the standard is explicitly not asked for. */
export const NEGATION = [
  // en
  words("(?:is|are|will be|shall be)\\s+not\\s+(?:required|requested|mandatory|needed|necessary|demanded|an? requirement|assessed|evaluated)", "not (?:required|requested|mandatory|needed|necessary|applicable)", "no requirement", "need not", "does not need", "do not need", "out of scope", "outside (?:the|of the) scope", "not part of (?:the|this) (?:scope|contract|lot|assignment)", "(?:is|are) excluded", "excluded from (?:the|this) scope", "not in scope", "no need", "(?:is|are) not covered", "not covered by", "does not cover", "not relevant", "(?:will|shall) not be (?:scored|assessed|evaluated|taken into account|required|requested)", "(?:is|are) therefore not (?:required|requested|needed)", "not (?:be )?(?:scored|assessed)"),
  // nl
  words("niet (?:vereist|verplicht|nodig|noodzakelijk|gevraagd|gevraagd|van toepassing|geëist|beoordeeld|meegewogen)", "buiten (?:de )?scope", "valt buiten", "vallen buiten", "geen (?:eis|vereiste|verplichting)", "hoeft niet", "hoeven niet", "is geen (?:eis|vereiste)", "wordt niet (?:gevraagd|geëist|verlangd|beoordeeld)", "worden niet (?:gevraagd|geëist|verlangd)", "maakt geen deel uit", "valt niet onder", "vallen niet onder", "niet relevant", "(?:wordt|worden|is|zijn)(?: \\p{L}+){0,3} niet (?:geëist|gevraagd|vereist|verplicht|verlangd)"),
  // fr
  words("n['’]est pas (?:exigée?|requise?|obligatoire|demandée?|nécessaire|attendue?|évaluée?)", "ne sont pas (?:exigée?s|requise?s|obligatoires|demandée?s|nécessaires)", "ne (?:sera|seront) pas (?:exigée?s?|requise?s?|évaluée?s?)", "hors (?:du )?(?:périmètre|champ)", "non (?:exigée?s?|requise?s?|obligatoires?)", "pas (?:exigée?s?|requise?s?|obligatoires?)", "sans objet", "aucune exigence", "n['’]est pas concernée?", "exclue? du (?:périmètre|marché|lot)", "ne (?:fait|font) pas partie", "ne relève(?:nt)? pas", "n['’](?:est|sont)(?:,? \\p{L}+,?){0,3} pas (?:exigée?s?|requise?s?|demandée?s?)"),
  // es
  words("no se (?:exige|exigirá|requiere|requerirá|solicita|pide|valorará)", "no (?:es|será|son|serán) (?:obligatori[oa]s?|necesari[oa]s?|exigid[oa]s?|requerid[oa]s?|un requisito)", "fuera del (?:alcance|ámbito|objeto)", "queda(?:n)? excluid[oa]s?", "no aplica", "no procede", "no (?:forma|forman) parte", "no (?:está|están) incluid[oa]s?", "no (?:se )?(?:exige|exigen|exigirá|requiere|requieren)(?:,? \\p{L}+,?){0,3}", "no (?:es|son)(?:,? \\p{L}+,?){0,3} (?:exigid[oa]s?|obligatori[oa]s?|requerid[oa]s?)"),
  // de
  words("nicht (?:erforderlich|verpflichtend|gefordert|notwendig|verlangt|Bestandteil|vorgesehen|Gegenstand)", "außerhalb des (?:Leistungs)?umfangs", "entfällt", "keine (?:Anforderung|Pflicht)", "wird nicht (?:verlangt|gefordert|bewertet)", "werden nicht (?:verlangt|gefordert|bewertet)", "ist nicht Teil", "nicht maßgeblich", "nicht relevant", "(?:ist|sind|wird|werden)(?: \\p{L}+){0,3} nicht (?:erforderlich|gefordert|verlangt|verpflichtend|vorgesehen)"),
  // pt
  words("não (?:é|será|são|serão) (?:exigid[oa]s?|obrigatóri[oa]s?|necessári[oa]s?|requerid[oa]s?|um requisito|avaliad[oa]s?)", "não se (?:exige|aplica|requer)", "fora do (?:âmbito|escopo|objeto)", "dispensad[oa]s?", "excluíd[oa]s? do (?:âmbito|objeto)", "não faz(?:em)? parte", "não (?:está|estão) incluíd[oa]s?", "não (?:é|são|será|serão)(?:,? \\p{L}+,?){0,3} (?:exigid[oa]s?|obrigatóri[oa]s?|requerid[oa]s?|necessári[oa]s?)"),
];

/** What already exists is no request: "the current website already uses HTTPS". */
export const EXISTING_STATE = [
  words("already (?:uses?|supports?|has|have|offers?|runs?|is|are|in place|implemented|deployed|available)", "(?:currently|at present|today) (?:uses?|supports?|runs?|has|offers?)", "the (?:current|existing|present) (?:site|website|portal|platform|environment|system|service|solution|mail service|infrastructure)\\b[^.;]{0,60}(?:uses?|supports?|has|offers?|runs?)"),
  words("(?:ondersteunt|gebruikt|heeft|biedt|draait) (?:nu )?al", "maakt (?:nu )?al gebruik", "is (?:nu )?al", "(?:de )?(?:huidige|bestaande) (?:site|website|omgeving|dienst|oplossing|infrastructuur|mailvoorziening)\\b[^.;]{0,60}(?:ondersteunt|gebruikt|heeft|biedt|maakt)"),
  words("(?:utilise|supporte|dispose|offre|prend en charge) déjà", "(?:est|sont) déjà", "(?:le|la|l['’]) ?(?:site|portail|plateforme|environnement|service|solution) (?:actuel(?:le)?|existant(?:e)?)\\b[^.;]{0,60}(?:utilise|supporte|dispose|offre|prend)", "actuellement (?:utilisée?|en place|déployée?)"),
  // "already" on its own: "is already DNSSEC-signed", "die de zone al met DNSSEC ondertekent", "betreiben bereits".
  words("already", "bereits", "déjà", "al met", "al ondertekend", "(?:is|zijn|wordt|worden) al", "ya", "já"),
  words("ya (?:utiliza|usa|dispone|cuenta|soporta|ofrece|admite|tiene|está)", "(?:el|la) (?:sitio|portal|plataforma|entorno|servicio|solución) (?:actual|existente)\\b[^.;]{0,60}(?:utiliza|usa|dispone|cuenta|soporta|admite)", "actualmente (?:utiliza|usa|dispone|soporta|admite)"),
  words("(?:nutzt|unterstützt|verwendet|bietet|hat) bereits", "(?:ist|sind) bereits", "(?:die|das|der) (?:aktuelle|bestehende|derzeitige) (?:Website|Webseite|Portal|Plattform|Umgebung|Dienst|Lösung)\\b[^.;]{0,60}(?:nutzt|unterstützt|verwendet|bietet)", "derzeit (?:genutzt|verwendet|unterstützt)"),
  words("já (?:utiliza|usa|suporta|dispõe|oferece|tem|está)", "(?:o|a) (?:sítio|site|portal|plataforma|ambiente|serviço|solução) (?:atual|existente)\\b[^.;]{0,60}(?:utiliza|usa|suporta|dispõe)", "atualmente (?:utiliza|usa|suporta)"),
];

/** A wish or award criterion: the standard is "desired", not required. */
export const DESIRED = [
  words("preferably", "preferred", "desirable", "desired", "nice to have", "(?:will|shall) (?:score|be scored|earn|receive) (?:higher|more|additional|extra)", "scores? (?:higher|more points)", "additional points", "extra points", "bonus points?", "award criteri(?:on|a)", "will be (?:valued|appreciated|rewarded)", "is an advantage", "an asset", "is a plus", "(?:additional|extra|bonus) marks", "marks will be awarded", "up to \\d+ (?:points|marks)", "\\d+ (?:points|marks)"),
  words("bij voorkeur", "(?:is )?(?:een )?wens", "gewenst", "pluspunt(?:en)?", "extra punten", "(?:hoger|hogere|meer) (?:score|punten)", "scoort (?:hoger|beter|extra)", "gunningscriteri(?:um|a)", "wordt (?:positief )?gewaardeerd", "strekt tot aanbeveling", "(?:maximaal |max\\. )?\\d+ punten"),
  words("de préférence", "préférablement", "souhaitable", "souhaitée?s?", "apprécié(?:e|s|es)?", "(?:points?|note) (?:supplémentaires?|bonus)", "bonifiée?s?", "critères? d['’]attribution", "sera valorisée?", "un atout", "(?:obtiendra|obtiendront) une (?:meilleure )?note plus élevée", "(?:jusqu['’]à )?\\d+ points", "rapportant"),
  words("preferiblemente", "preferentemente", "deseables?", "se valorará(?:n)?", "valorará(?:n)? positivamente", "puntuación (?:adicional|extra)", "puntos adicionales", "criterios? de (?:adjudicación|valoración)", "mejora valorable", "obtendrá(?:n)? (?:una )?(?:mayor|más) puntuación", "(?:hasta )?\\d+ puntos"),
  words("wünschenswert", "vorzugsweise", "bevorzugt", "(?:Zuschlags|Wertungs)kriteri(?:um|en)", "Pluspunkte?", "wird (?:positiv )?bewertet", "werden (?:positiv )?bewertet", "zusätzliche Punkte", "von Vorteil", "zusätzlich bewertet", "(?:bis zu )?\\d+ Punkte"),
  words("preferencialmente", "desejáve(?:l|is)", "(?:será|serão) valorizad[oa]s?", "valoriza(?:do|da|ção)", "pontuação (?:adicional|extra)", "pontos adicionais", "critérios? de adjudicação", "uma vantagem", "(?:até )?\\d+ pontos"),
];

/** A requirement in so many words: must, shall, is required, moet, dient, doit, debe, muss, deve... */
export const STRONG_REQUIRED = [
  words("shall", "must", "(?:is|are|will be) (?:required|mandatory|obligatory)", "required to", "requirements?", "mandatory", "has to", "have to", "needs? to", "is to be", "are to be", "minimum", "at least"),
  words("moet(?:en)?", "dient", "dienen", "verplicht(?:e)?", "vereist(?:e)?", "eis(?:en)?", "minimaal", "ten minste", "tenminste"),
  words("doi(?:t|vent)", "devra(?:ient|it|nt)?", "obligatoires?", "obligatoirement", "exigée?s?", "exigences?", "requise?s?", "impérativement", "au minimum", "au moins"),
  words("deb(?:e|en|erá|erán)", "obligatori[oa]s?", "obligatoriamente", "exig(?:e|en|ido|ida|idos|idas|encia|encias)", "requisitos?", "requier(?:e|en)", "requerid[oa]s?", "imprescindibles?", "como mínimo", "al menos"),
  words("muss", "müssen", "(?:ist|sind) (?:zu|verpflichtend|zwingend)", "verpflichtend", "zwingend", "erforderlich", "Anforderung(?:en)?", "mindestens"),
  words("dev(?:e|em|erá|erão)", "obrigatóri[oa]s?", "obrigatoriamente", "exig(?:e|em|ido|ida|idos|idas|ência|ências)", "requisitos?", "requer(?:e|em|ido|ida)", "no mínimo", "pelo menos"),
];

/** Delivery verbs that make a named standard part of what is bought: complies with, supports, provides, levert... */
export const WEAK_REQUIRED = [
  words("comply with", "complies with", "compliant with", "compliance with", "in accordance with", "conforms? to", "(?:to be|be) (?:supported|implemented|applied|configured|enabled|used)", "ensures?", "provides?", "delivers?", "supports?", "implements?", "applies", "apply", "configured with", "use of"),
  words("voldoe[nt]? aan", "voldoet", "conform", "overeenkomstig", "ondersteun(?:t|en)", "toepass(?:en|ing)", "toegepast", "zorgt? (?:er )?voor", "implementeert", "geïmplementeerd", "hanteert", "past toe", "levert", "leveren", "inclusief"),
  words("conforme(?:s|ment)?", "respecte(?:r|ra|nt)?", "prend(?:re)? en charge", "supporte(?:r|ra)?", "met(?:tre)? en œuvre", "applique(?:r|ra)?", "garanti(?:r|t|ra)", "fourni(?:t|r|ra)"),
  words("cumpl(?:ir|irá|a|e|en|imiento)", "conforme a", "de acuerdo con", "soport(?:ar|ará|a|e)", "implement(?:ar|ará|e|ado|ada)", "aplic(?:ar|ará|ado|ada)", "garantiz(?:ar|ará|e)", "proporcion(?:ar|ará|a)"),
  words("gemäß", "entspricht", "entsprechen", "einhalten", "unterstütz(?:en|t)", "umsetzen", "umgesetzt", "anwenden", "angewendet", "sicherstellen", "gewährleisten", "liefert", "bereitstellen"),
  words("cumpr(?:ir|irá|a|e|em|imento)", "em conformidade com", "de acordo com", "suport(?:ar|ará|e|a)", "implement(?:ar|ará|e|ado|ada)", "aplic(?:ar|ará|ado|ada)", "garant(?:ir|irá|a)", "fornec(?:er|erá|e)"),
];

/** A legacy protocol named only to be switched off is a request for the current standard. */
export const DISABLE = [
  words("disabled?", "switched off", "turned off", "not (?:be )?(?:allowed|permitted|accepted|supported|offered|used|enabled)", "no longer (?:be )?(?:allowed|permitted|accepted|supported|offered|used)", "must not", "shall not", "prohibited", "forbidden", "deprecated", "phased out", "removed"),
  words("uit(?:ge)?schakel(?:d|en)?", "uitgeschakeld", "niet (?:meer )?(?:toegestaan|ondersteund|aangeboden|gebruikt|geaccepteerd)", "mag niet", "mogen niet", "verboden", "uitgefaseerd"),
  words("désactivée?s?", "désactiver", "(?:ne doit|ne doivent) pas", "(?:non|pas) (?:autorisée?s?|acceptée?s?|supportée?s?|proposée?s?)", "interdite?s?", "proscrite?s?"),
  words("deshabilitad[oa]s?", "deshabilitar", "desactivad[oa]s?", "desactivar", "no (?:se )?(?:permitirá|permite|admitirá|admite|aceptará|acepta)", "no (?:deberá|debe|deben|deberán)", "prohibid[oa]s?"),
  words("deaktivier(?:t|en)", "abgeschaltet", "nicht (?:mehr )?(?:zulässig|erlaubt|unterstützt|angeboten|verwendet)", "darf nicht", "dürfen nicht", "unzulässig", "verboten"),
  words("desativad[oa]s?", "desativar", "não (?:é|são|será|serão) (?:permitid[oa]s?|aceites?|aceit[oa]s?|suportad[oa]s?)", "não (?:deve|devem|deverá|deverão)", "proibid[oa]s?"),
];

/** Blanket demands for a list of mandatory standards, reported apart from named standards. */
export const GENERIC_DEMAND = [
  stems("pas[- ]toe[- ]of[- ]leg[- ]uit", "comply[- ]or[- ]explain", "appliquer ou expliquer", "cumplir o explicar", "(?:lijst|overzicht) (?:met |van )?(?:de )?(?:verplichte )?open standaarden", "verplichte open standaarden", "open standaarden (?:van|op) de lijst", "Forum Standaardisatie", "list of mandatory (?:open )?standards", "mandatory open standards", "liste des normes obligatoires", "normes ouvertes obligatoires", "lista de (?:normas|estándares) obligatori[oa]s", "estándares abiertos obligatorios", "Liste der verpflichtenden (?:offenen )?Standards", "lista de normas abertas obrigatórias"),
];

/** Standards as the subject of advice or training, not as something to deliver: "advice on how DNSSEC applies". */
export const TOPIC_ONLY = [
  words("advice (?:on|about|regarding)", "advis(?:e|ing) (?:on|about)", "advies over", "adviseren over", "conseils? (?:sur|concernant|relatifs? à)", "asesoramiento (?:sobre|en materia de)", "Beratung (?:zu|über|zur)", "aconselhamento sobre", "assessoria sobre", "training (?:on|about)", "opleiding over", "formation (?:sur|aux?)", "formación sobre", "Schulung(?:en)? (?:zu|über)"),
];

/** Headings of sections whose items are requirements, or award criteria. */
export const REQUIREMENT_SECTION = stems("requirements?", "specifications?", "technical", "eisen", "programma van eisen", "pve", "exigences", "cahier des charges", "prescriptions", "requisitos", "pliego", "prescripciones", "Anforderungen", "Leistungsbeschreibung", "requisitos", "caderno de encargos", "especificações");
export const AWARD_SECTION = stems("award criteri", "gunningscriteri", "wensen", "critères d['’]attribution", "criterios de (?:adjudicación|valoración)", "Zuschlagskriteri", "Wertungskriteri", "critérios de adjudicação");
