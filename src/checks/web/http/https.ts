/**
 * HTTPS availability, the redirect from HTTP to HTTPS, and HTTP compression,
 * as internet.nl tests them: every web address of the domain must answer
 * HTTPS on 443; HTTP on 80 must redirect to HTTPS on the same host first
 * (a web server that does not listen on 80 at all, while HTTPS answers,
 * passes: it offers nothing but HTTPS; one without HTTPS fails); compression is only reported
 * (BREACH needs compression plus secrets reflected in the body, which a
 * black-box test cannot see).
 */
import type { DomainContext } from "../../context.ts";
import { headerValues, HttpProbeError, type HttpResponse } from "../../http/client.ts";
import { fetchShared, firstHttpResponse, isRedirect, webPorts } from "../../http/fetch.ts";
import type { CheckDefinition, CheckOutcome } from "../../types.ts";
import { answerOf, boundedText, combine, EVIDENCE_LIST_CAP, httpsAnswers, noAddressOutcome, webAddresses, type AddressVerdict } from "./common.ts";

export const httpsAvailable: CheckDefinition = {
  id: "web.https.available",
  standard: "https",
  category: "web.https",
  weight: "required",
  title: "HTTPS available",
  fix: "Serve the site over HTTPS on port 443 on every IPv4 and IPv6 address the domain points to.",
  async run(ctx) {
    const addresses = await webAddresses(ctx);
    const none = noAddressOutcome(ctx, addresses);
    if (none) return none;
    const answers = await httpsAnswers(ctx, addresses.all);
    const verdicts = answers.map((answer): AddressVerdict => answer.response
      ? { address: answer.address, status: "passed", summary: "HTTPS answers", evidence: { httpStatus: answer.response.status, tls: answer.response.tls } }
      : { address: answer.address, status: "failed", summary: `HTTPS does not answer: ${answer.error}`, evidence: { error: answer.error } });
    const outcome = combine(verdicts, { port: webPorts(ctx).https, refused: addresses.found.refused.slice(0, EVIDENCE_LIST_CAP) });
    if (outcome.status === "passed") outcome.summary = `HTTPS answers on ${verdicts.length === 1 ? "the" : `all ${verdicts.length}`} web address${verdicts.length === 1 ? "" : "es"}`;
    return outcome;
  },
};

export const httpsRedirect: CheckDefinition = {
  id: "web.https.redirect",
  standard: "https",
  category: "web.https",
  weight: "required",
  title: "HTTPS redirect",
  fix: "Make http://<domain>/ answer with a redirect (301 or 308) to https://<domain>/ on the same host, before any redirect elsewhere.",
  async run(ctx) {
    const addresses = await webAddresses(ctx);
    const none = noAddressOutcome(ctx, addresses);
    if (none) return none;
    const [plain, secure] = await Promise.all([
      Promise.all(addresses.all.map((address) => answerOf(address, firstHttpResponse(ctx, address)))),
      httpsAnswers(ctx, addresses.all),
    ]);
    const verdicts = plain.map((answer, index): AddressVerdict => {
      const https = secure[index];
      // internet.nl: without HTTPS there is nothing to force; HTTPS without HTTP on port 80 offers only HTTPS (passes).
      if (!https?.response) return { address: answer.address, status: "failed", summary: "HTTPS does not answer, so HTTP cannot redirect to it", evidence: { https: https?.error ?? null } };
      if (!answer.response) return { address: answer.address, status: "passed", summary: "HTTP does not answer and HTTPS does: only HTTPS is offered", evidence: { http: answer.error } };
      return { address: answer.address, ...judgeRedirect(ctx, answer.response) };
    });
    return combine(verdicts, { port: webPorts(ctx).http });
  },
};

export function judgeRedirect(ctx: DomainContext, response: HttpResponse): Omit<AddressVerdict, "address"> {
  const location = headerValues(response, "location")[0] ?? null;
  const evidence = { httpStatus: response.status, location: location === null ? null : boundedText(location) };
  if (!isRedirect(response.status) || location === null) {
    return { status: "failed", summary: `HTTP answers ${response.status} without redirecting to HTTPS`, evidence };
  }
  let target: URL;
  try {
    target = new URL(location, response.url);
  } catch {
    return { status: "failed", summary: `HTTP redirects to an invalid URL`, evidence };
  }
  if (target.protocol !== "https:") return { status: "failed", summary: `HTTP redirects to ${boundedText(target.href, 120)}, not to HTTPS`, evidence };
  if (target.hostname.toLowerCase() !== ctx.domain) {
    return { status: "failed", summary: `HTTP redirects to HTTPS on another host (${boundedText(target.hostname, 100)}) first; the first redirect must stay on ${ctx.domain}`, evidence };
  }
  return { status: "passed", summary: `HTTP redirects to HTTPS on the same host (${response.status})`, evidence };
}

/** Codings internet.nl offers in its compression test (and br). */
const OFFERED_CODINGS = "gzip, deflate, br, compress, x-gzip, x-compress";

export const httpCompression: CheckDefinition = {
  id: "web.http-compression",
  standard: "https",
  category: "web.https",
  weight: "informational",
  title: "HTTP compression",
  fix: "If pages reflect secrets (CSRF tokens) and user input, consider switching off HTTP compression for them or use BREACH mitigations (masking tokens, same-site cookies).",
  async run(ctx): Promise<CheckOutcome> {
    const addresses = await webAddresses(ctx);
    const none = noAddressOutcome(ctx, addresses);
    if (none) return none;
    const verdicts = await Promise.all(addresses.all.map((address) => compressionAt(ctx, address)));
    return combine(verdicts, { offered: OFFERED_CODINGS });
  },
};

async function compressionAt(ctx: DomainContext, address: string): Promise<AddressVerdict> {
  let response: HttpResponse;
  try {
    response = await fetchShared(ctx, { scheme: "https", host: ctx.domain, address, port: webPorts(ctx).https, path: "/", acceptEncoding: OFFERED_CODINGS, bodyLimit: 0 });
  } catch (error) {
    const reason = error instanceof HttpProbeError || error instanceof Error ? error.message : String(error);
    return { address, status: "not_tested", summary: `HTTPS did not answer, so compression could not be tested: ${reason}`, evidence: { error: reason } };
  }
  const codings = headerValues(response, "content-encoding").flatMap((value) => value.split(",")).map((value) => value.trim().toLowerCase()).filter((value) => value !== "" && value !== "identity");
  const evidence = { url: response.url, contentEncoding: codings, httpStatus: response.status };
  if (codings.length === 0) return { address, status: "passed", summary: "the web server does not compress its answer over HTTPS", evidence };
  return { address, status: "info", summary: `the web server compresses its answer over HTTPS (${codings.join(", ")}); with secrets in pages this can allow BREACH`, evidence };
}
