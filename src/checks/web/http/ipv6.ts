/**
 * The web server over IPv6, as internet.nl tests it: every IPv6 address
 * answers on 80 or 443, and on each of those ports that the IPv4 addresses
 * answer on (an HTTPS-only site needs only 443); and it serves the same page
 * as over IPv4. A TCP connection counts as reachable even when the HTTP
 * exchange then fails (internet.nl tests a TCP connect). Without AAAA
 * records both are not tested (web.ipv6.aaaa reports the missing records);
 * an IPv6-only site has nothing to differ from and passes same-content.
 */
import type { DomainContext } from "../../context.ts";
import { headerValues, HttpProbeError, type HttpResponse } from "../../http/client.ts";
import { firstHttpResponse, firstHttpsResponse, webPorts } from "../../http/fetch.ts";
import type { CheckDefinition, CheckOutcome } from "../../types.ts";
import { combine, EVIDENCE_LIST_CAP, reasonOf, webAddresses, type AddressVerdict, type WebAddresses } from "./common.ts";
import { bodyText, similarity } from "./similarity.ts";

/** internet.nl: a difference of at most 10 % counts as the same content. */
export const SAME_CONTENT_MIN_SIMILARITY = 0.9;

interface PortProbe {
  reachable: boolean;
  response: HttpResponse | null;
  error: string | null;
}

async function probe(pending: Promise<HttpResponse>): Promise<PortProbe> {
  try {
    return { reachable: true, response: await pending, error: null };
  } catch (error) {
    return { reachable: error instanceof HttpProbeError && error.connected, response: null, error: reasonOf(error) };
  }
}

interface AddressProbes {
  address: string;
  http: PortProbe;
  https: PortProbe;
}

function probeAll(ctx: DomainContext, addresses: readonly string[]): Promise<AddressProbes[]> {
  return Promise.all(addresses.map(async (address) => {
    const [http, https] = await Promise.all([probe(firstHttpResponse(ctx, address)), probe(firstHttpsResponse(ctx, address))]);
    return { address, http, https };
  }));
}

/** not_tested without AAAA, error when every AAAA address was refused by the policy; null when there is something to test. */
function noIpv6(ctx: DomainContext, addresses: WebAddresses): CheckOutcome | null {
  if (addresses.found.ipv6.length > 0) return null;
  const refused = addresses.found.refused.filter((entry) => entry.address.includes(":"));
  if (refused.length > 0) return { status: "error", summary: `every IPv6 address of ${ctx.domain} was refused by the address policy`, evidence: { refused: refused.slice(0, EVIDENCE_LIST_CAP) } };
  return { status: "not_tested", summary: `${ctx.domain} has no AAAA record, so there is no IPv6 web server to test`, evidence: { ipv6: [] } };
}

export const ipv6Reachable: CheckDefinition = {
  id: "web.ipv6.reachable",
  standard: "ipv6",
  category: "web.ipv6",
  weight: "required",
  title: "Web server reachable over IPv6",
  fix: "Make the web server listen on its IPv6 addresses on the same ports (80 and 443) as on IPv4, and let the firewall pass them.",
  async run(ctx) {
    const addresses = await webAddresses(ctx);
    const none = noIpv6(ctx, addresses);
    if (none) return none;
    const ports = webPorts(ctx);
    const probes = await probeAll(ctx, addresses.all);
    const v4 = probes.filter((entry) => !entry.address.includes(":"));
    // The ports IPv4 serves must be served over IPv6 too.
    const expectHttp = v4.some((entry) => entry.http.reachable);
    const expectHttps = v4.some((entry) => entry.https.reachable);
    const verdicts = probes.filter((entry) => entry.address.includes(":")).map((entry): AddressVerdict => {
      const missing = [...(expectHttp && !entry.http.reachable ? [ports.http] : []), ...(expectHttps && !entry.https.reachable ? [ports.https] : [])];
      const evidence = {
        http: { port: ports.http, reachable: entry.http.reachable, error: entry.http.error },
        https: { port: ports.https, reachable: entry.https.reachable, error: entry.https.error },
      };
      const open = [entry.http.reachable ? ports.http : null, entry.https.reachable ? ports.https : null].filter((port) => port !== null);
      if (open.length === 0) return { address: entry.address, status: "failed", summary: `not reachable on port ${ports.http} or ${ports.https}`, evidence };
      if (missing.length > 0) return { address: entry.address, status: "failed", summary: `not reachable on port ${missing.join(" and ")}, which IPv4 serves`, evidence };
      return { address: entry.address, status: "passed", summary: `reachable on port ${open.join(" and ")}`, evidence };
    });
    return combine(verdicts, { ipv4Ports: [expectHttp ? ports.http : null, expectHttps ? ports.https : null].filter((port) => port !== null) });
  },
};

/** The page an address serves: its first HTTPS answer, or its first HTTP answer when HTTPS is not used. */
function page(entry: AddressProbes, useHttps: boolean): HttpResponse | null {
  return useHttps ? entry.https.response : entry.http.response;
}

export const ipv6SameContent: CheckDefinition = {
  id: "web.ipv6.same-content",
  standard: "ipv6",
  category: "web.ipv6",
  weight: "required",
  title: "Same website over IPv6 and IPv4",
  fix: "Serve the same site on the IPv6 and IPv4 addresses (same virtual host configuration on both).",
  async run(ctx) {
    const addresses = await webAddresses(ctx);
    const none = noIpv6(ctx, addresses);
    if (none) return none;
    if (addresses.found.ipv4.length === 0 && addresses.found.refused.length === 0) {
      return { status: "passed", summary: `${ctx.domain} has no IPv4 address, so the IPv6 site is the only one`, evidence: { ipv4: [] } };
    }
    const probes = await probeAll(ctx, addresses.all);
    const v4 = probes.filter((entry) => !entry.address.includes(":"));
    const v6 = probes.filter((entry) => entry.address.includes(":"));
    // Compare HTTPS when the IPv4 site serves it, else HTTP (as internet.nl, the first answer without redirects).
    const useHttps = v4.some((entry) => entry.https.response !== null);
    const reference = v4.find((entry) => page(entry, useHttps) !== null);
    const referencePage = reference ? page(reference, useHttps) : null;
    if (!reference || !referencePage) {
      return { status: "not_tested", summary: "the web server answers on no IPv4 address, so there is nothing to compare with", evidence: { ipv4: v4.map((entry) => ({ address: entry.address, http: entry.http.error, https: entry.https.error })).slice(0, EVIDENCE_LIST_CAP) } };
    }
    const referenceText = bodyText(referencePage.body, headerValues(referencePage, "content-encoding")[0]);
    const verdicts = v6.map((entry): AddressVerdict => {
      const own = page(entry, useHttps);
      if (!own) return { address: entry.address, status: "failed", summary: `no ${useHttps ? "HTTPS" : "HTTP"} answer over IPv6 to compare`, evidence: { error: (useHttps ? entry.https.error : entry.http.error) ?? null } };
      const ratio = similarity(referenceText, bodyText(own.body, headerValues(own, "content-encoding")[0]));
      const difference = Math.round((1 - ratio) * 1000) / 10;
      const evidence = { comparedWith: reference.address, scheme: useHttps ? "https" : "http", ipv4Status: referencePage.status, ipv6Status: own.status, ipv4Bytes: referencePage.body.length, ipv6Bytes: own.body.length, differencePercent: difference, truncated: referencePage.bodyTruncated || own.bodyTruncated };
      if (ratio >= SAME_CONTENT_MIN_SIMILARITY) return { address: entry.address, status: "passed", summary: `the page over IPv6 matches IPv4 (${difference}% different)`, evidence };
      return { address: entry.address, status: "failed", summary: `the page over IPv6 differs from IPv4 by ${difference}% (at most 10% allowed)`, evidence };
    });
    return combine(verdicts);
  },
};
