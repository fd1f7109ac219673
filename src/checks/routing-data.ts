/**
 * Route origin validation data given on the command line: validated ROA
 * payloads (`--rpki-vrps`, rpki-client or Routinator JSON) and the origin AS
 * of announced prefixes (`--bgp-origins`). Without both, the RPKI checks are
 * not_tested.
 */

/** One validated ROA payload (RFC 6811 §2). */
export interface Vrp {
  prefix: string;
  maxLength: number;
  asn: number;
}

/** One announced prefix and the AS that originates it. */
export interface BgpOrigin {
  prefix: string;
  asn: number;
}

export interface RoutingData {
  vrps: Vrp[];
  origins: BgpOrigin[];
  /** Where they came from, for evidence. */
  sources: { vrps: string; origins: string };
}
