/**
 * HTTP through the domain context: every connection passes the address
 * policy first (redirect targets too, their names resolved through
 * `ctx.addresses`, never by the system resolver), runs within the per-step
 * timeout and the domain's deadline, and identical requests are made once
 * per domain (`ctx.memo`), so the first HTTPS answer of an address serves
 * every check that reads it.
 */
import { isIP } from "node:net";
import type { CheckSettings, DomainContext } from "../context.ts";
import { formatUrl, httpExchange, HttpProbeError, type HttpResponse, type HttpScheme } from "./client.ts";

export type WebPorts = CheckSettings["webPorts"];

/**
 * The ports that stand in for 80 and 443 (settings.webPorts: tests and labs
 * on unprivileged ports), everywhere, also in redirects without a port.
 */
export function webPorts(ctx: DomainContext): WebPorts {
  return ctx.settings.webPorts;
}

/** 1 MiB: enough to compare a home page, bounded against endless bodies. */
export const PAGE_BODY_LIMIT = 1024 * 1024;
export const MAX_REDIRECTS = 10;

export interface FetchTarget {
  scheme: HttpScheme;
  host: string;
  address: string;
  port: number;
  path: string;
  method?: "GET" | "HEAD";
  acceptEncoding?: string;
  bodyLimit: number;
}

/** One exchange with the policy check, the context's timeout and deadline, and at most connectionsPerHost at once per address. */
export async function fetchOnce(ctx: DomainContext, target: FetchTarget): Promise<HttpResponse> {
  ctx.assertTarget(target.address);
  ctx.throwIfExpired();
  const release = await acquire(ctx, target.address);
  try {
    // The per-address limit across domains (settings.addressLimit) is taken inside the per-domain one.
    return await ctx.gated(target.address, () => httpExchange({ ...target, timeoutMs: ctx.settings.timeoutMs, signal: ctx.signal }));
  } finally {
    release();
  }
}

/** fetchOnce shared by all checks of the domain (also its failure). */
export function fetchShared(ctx: DomainContext, target: FetchTarget): Promise<HttpResponse> {
  const key = `http:${target.method ?? "GET"}:${formatUrl(target.scheme, target.host, target.port, target.path)}@${target.address}:ae=${target.acceptEncoding ?? "identity"}:limit=${target.bodyLimit}`;
  return ctx.memo(key, () => fetchOnce(ctx, target));
}

/** The first answer of https://domain/ at `address` (no redirects followed), with up to 1 MiB of body. */
export function firstHttpsResponse(ctx: DomainContext, address: string): Promise<HttpResponse> {
  return fetchShared(ctx, { scheme: "https", host: ctx.domain, address, port: webPorts(ctx).https, path: "/", bodyLimit: PAGE_BODY_LIMIT });
}

/** The first answer of http://domain/ at `address` (no redirects followed), with up to 1 MiB of body. */
export function firstHttpResponse(ctx: DomainContext, address: string): Promise<HttpResponse> {
  return fetchShared(ctx, { scheme: "http", host: ctx.domain, address, port: webPorts(ctx).http, path: "/", bodyLimit: PAGE_BODY_LIMIT });
}

export interface RedirectHop {
  url: string;
  address: string;
  status: number;
  location: string | null;
}

export interface FollowResult {
  hops: RedirectHop[];
  response: HttpResponse;
}

export interface FollowOptions {
  maxRedirects?: number;
  /** Refuse a redirect to http: (security.txt must come over HTTPS). */
  httpsOnly?: boolean;
}

/**
 * Follows redirects from `start` (at most 10 by default). The same host stays
 * on the same address; another host is resolved through ctx.addresses, the
 * start's address family preferred, and passes the policy like any target.
 */
export async function followRedirects(ctx: DomainContext, start: FetchTarget, options: FollowOptions = {}): Promise<FollowResult> {
  const max = options.maxRedirects ?? MAX_REDIRECTS;
  const hops: RedirectHop[] = [];
  let target = start;
  for (;;) {
    const response = await fetchShared(ctx, target);
    const location = isRedirect(response.status) ? (response.headers.find(([name]) => name === "location")?.[1] ?? null) : null;
    hops.push({ url: response.url, address: target.address, status: response.status, location });
    if (location === null) return { hops, response };
    if (hops.length > max) throw new HttpProbeError("protocol", `more than ${max} redirects (last: ${response.url} to ${bounded(location)})`, true);
    target = await redirectTarget(ctx, target, response.url, location, options);
  }
}

export function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

async function redirectTarget(ctx: DomainContext, from: FetchTarget, fromUrl: string, location: string, options: FollowOptions): Promise<FetchTarget> {
  let next: URL;
  try {
    next = new URL(location, fromUrl);
  } catch {
    throw new HttpProbeError("protocol", `${fromUrl} redirects to an invalid URL "${bounded(location)}"`, true);
  }
  if (next.protocol !== "http:" && next.protocol !== "https:") throw new HttpProbeError("protocol", `${fromUrl} redirects to a ${next.protocol} URL`, true);
  const scheme: HttpScheme = next.protocol === "https:" ? "https" : "http";
  if (options.httpsOnly && scheme !== "https") throw new HttpProbeError("protocol", `${fromUrl} redirects to ${bounded(next.href)}, not HTTPS`, true);
  const host = next.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const ports = webPorts(ctx);
  const port = next.port === "" ? ports[scheme] : Number(next.port);
  const address = await addressFor(ctx, host, from);
  return { ...from, scheme, host, address, port, path: `${next.pathname}${next.search}` };
}

async function addressFor(ctx: DomainContext, host: string, from: FetchTarget): Promise<string> {
  if (host === from.host) return from.address;
  if (isIP(host) !== 0) {
    ctx.assertTarget(host);
    return host;
  }
  const found = await ctx.addresses(host);
  const sameFamily = isIP(from.address) === 6 ? found.ipv6 : found.ipv4;
  const address = sameFamily[0] ?? found.ipv4[0] ?? found.ipv6[0];
  if (address === undefined) {
    const refused = found.refused.map((entry) => entry.reason).join("; ");
    throw new HttpProbeError("network", `redirect host ${host} has no address that may be tested${refused ? ` (${refused})` : ""}`, false);
  }
  return address;
}

function bounded(text: string): string {
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

// At most connectionsPerHost exchanges per address at once, per domain.
const slots = new WeakMap<DomainContext, Map<string, { active: number; waiting: (() => void)[] }>>();

async function acquire(ctx: DomainContext, address: string): Promise<() => void> {
  let perContext = slots.get(ctx);
  if (!perContext) {
    perContext = new Map();
    slots.set(ctx, perContext);
  }
  let slot = perContext.get(address);
  if (!slot) {
    slot = { active: 0, waiting: [] };
    perContext.set(address, slot);
  }
  const limit = Math.max(1, ctx.settings.connectionsPerHost);
  const entry = slot;
  // A released slot passes straight to the next waiter, so newcomers cannot overtake it.
  if (entry.active >= limit) await new Promise<void>((resolve) => entry.waiting.push(resolve));
  else entry.active++;
  return () => {
    const next = entry.waiting.shift();
    if (next) next();
    else entry.active--;
  };
}
