/**
 * The mail benches' per-domain DNS records (zone-file lines relative to the
 * bench zone): MX, SPF, DMARC, a DKIM selector "lab", MTA-STS and TLS-RPT,
 * so that every mail check finds something to judge.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ENV, run } from "./netns-lab.ts";

/** A TXT record's data: TEXT cut into quoted strings of at most 250 characters. */
export function txt(text: string): string {
  const parts: string[] = [];
  for (let at = 0; at < text.length; at += 250) parts.push(`"${text.slice(at, at + 250)}"`);
  return parts.join(" ");
}

/** Makes DIR/dkim.key (RSA 2048) and returns its public key, base64 DER, for the DKIM record. */
export function makeDkimKey(dir: string): string {
  run("openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", join(dir, "dkim.key")]);
  return spawnSync("openssl", ["pkey", "-in", join(dir, "dkim.key"), "-pubout", "-outform", "DER"], { env: ENV }).stdout.toString("base64");
}

/**
 * NAME's records (NAME relative to the zone, FQDN absolute without the dot): MX to MX (absolute),
 * the DKIM record of DKIM_KEY, and the MTA-STS policy host mta-sts.NAME at STS_ADDRESS.
 */
export function mailRecords(name: string, fqdn: string, mx: string, dkimKey: string, stsAddress: string): string[] {
  return [`${name} MX 10 ${mx}.`, `${name} TXT "v=spf1 mx -all"`,
    `_dmarc.${name} TXT "v=DMARC1; p=reject; rua=mailto:dmarc@${fqdn}"`,
    `lab._domainkey.${name} TXT ${txt(`v=DKIM1; k=rsa; p=${dkimKey}`)}`,
    `_mta-sts.${name} TXT "v=STSv1; id=1"`, `mta-sts.${name} A ${stsAddress}`,
    `_smtp._tls.${name} TXT "v=TLSRPTv1; rua=mailto:tlsrpt@${fqdn}"`];
}
