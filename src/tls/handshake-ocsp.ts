/**
 * Reads a stapled OCSP response (RFC 6960 §4.2.1) far enough to say what it
 * claims about the leaf: the response status, each SingleResponse's
 * certificate status and validity window, and whether one names the leaf
 * (same serial number and issuer key hash). It does not verify the
 * responder's signature: the stapling check reports presence and content,
 * the trust check does not rely on it.
 */
import { createHash } from "node:crypto";
import { certificateParts, children, contextTag, DerError, expect, readNode, readOid, readTime, readUnsigned, TAG } from "./certificate-der.ts";

export type OcspCertStatus = "good" | "revoked" | "unknown";

export interface OcspSingle {
  status: OcspCertStatus;
  /** Serial number of the certificate it is about, hex. */
  serial: string;
  thisUpdate: string;
  nextUpdate: string | null;
  revocationTime: string | null;
  /** It names the leaf: same serial and the hash of the leaf issuer's key. */
  forLeaf: boolean;
}

export interface OcspStaple {
  /** successful, malformedRequest, internalError, tryLater, sigRequired, unauthorized. */
  responseStatus: string;
  /** The leaf's status when a response names it, else null. */
  leafStatus: OcspCertStatus | null;
  /** The response naming the leaf is within thisUpdate..nextUpdate at the check's time. */
  fresh: boolean | null;
  producedAt: string | null;
  responses: OcspSingle[];
  bytes: number;
  /** Why it could not be read, when it could not. */
  parseError: string | null;
}

const RESPONSE_STATUS = ["successful", "malformedRequest", "internalError", "tryLater", "(unused 4)", "sigRequired", "unauthorized"];
const BASIC_RESPONSE_OID = "1.3.6.1.5.5.7.48.1.1";
const HASHES: Record<string, string> = {
  "1.3.14.3.2.26": "sha1",
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
};
const MAX_RESPONSES = 20;

/**
 * @param leaf DER of the leaf certificate; @param issuer DER of its issuer,
 * when the chain has it (without it no response can be matched to the leaf).
 */
export function parseOcspStaple(response: Buffer, leaf: Buffer | null, issuer: Buffer | null, now: number): OcspStaple {
  const staple: OcspStaple = { responseStatus: "unreadable", leafStatus: null, fresh: null, producedAt: null, responses: [], bytes: response.length, parseError: null };
  try {
    const top = children(expect(readNode(response), TAG.SEQUENCE, "OCSPResponse"));
    const statusCode = readUnsigned(expect(top[0], TAG.ENUMERATED, "responseStatus"));
    staple.responseStatus = RESPONSE_STATUS[statusCode] ?? `status ${statusCode}`;
    if (statusCode !== 0) return staple;
    const responseBytes = children(expect(children(expect(top[1], contextTag(0), "responseBytes"))[0], TAG.SEQUENCE, "ResponseBytes"));
    const type = readOid(expect(responseBytes[0], TAG.OID, "responseType"));
    if (type !== BASIC_RESPONSE_OID) throw new DerError(`response type ${type} is not id-pkix-ocsp-basic`);
    const basic = children(expect(readNode(expect(responseBytes[1], TAG.OCTET_STRING, "response").content), TAG.SEQUENCE, "BasicOCSPResponse"));
    const data = children(expect(basic[0], TAG.SEQUENCE, "ResponseData"));
    // version [0] EXPLICIT DEFAULT v1, then responderID ([1] or [2]), producedAt, responses.
    const fields = data[0]?.tag === contextTag(0) ? data.slice(1) : data;
    staple.producedAt = new Date(readTime(expect(fields[1], TAG.GENERALIZED_TIME, "producedAt"))).toISOString();
    const singles = children(expect(fields[2], TAG.SEQUENCE, "responses")).slice(0, MAX_RESPONSES);
    const leafParts = leaf ? certificateParts(leaf) : null;
    const issuerKeyBits = issuer ? certificateParts(issuer).publicKeyBits : null;
    for (const singleNode of singles) {
      const single = readSingle(singleNode, leafParts?.serial ?? null, issuerKeyBits);
      staple.responses.push(single.view);
      if (single.view.forLeaf && staple.leafStatus === null) {
        staple.leafStatus = single.view.status;
        staple.fresh = single.thisUpdate <= now && (single.nextUpdate === null || now <= single.nextUpdate);
      }
    }
  } catch (error) {
    staple.parseError = error instanceof Error ? error.message : String(error);
  }
  return staple;
}

function readSingle(node: ReturnType<typeof readNode>, leafSerial: Buffer | null, issuerKeyBits: Buffer | null): { view: OcspSingle; thisUpdate: number; nextUpdate: number | null } {
  const parts = children(expect(node, TAG.SEQUENCE, "SingleResponse"));
  const certId = children(expect(parts[0], TAG.SEQUENCE, "CertID"));
  const hashOid = readOid(expect(children(expect(certId[0], TAG.SEQUENCE, "hashAlgorithm"))[0], TAG.OID, "hash OID"));
  const issuerKeyHash = expect(certId[2], TAG.OCTET_STRING, "issuerKeyHash").content;
  const serial = expect(certId[3], TAG.INTEGER, "serialNumber").content;
  const statusNode = parts[1];
  if (!statusNode) throw new DerError("certStatus is missing");
  let status: OcspCertStatus;
  let revocationTime: string | null = null;
  if (statusNode.tag === contextTag(0, false)) status = "good";
  else if (statusNode.tag === contextTag(1)) {
    status = "revoked";
    revocationTime = new Date(readTime(expect(children(statusNode)[0], TAG.GENERALIZED_TIME, "revocationTime"))).toISOString();
  } else if (statusNode.tag === contextTag(2, false)) status = "unknown";
  else throw new DerError(`unknown certStatus tag 0x${statusNode.tag.toString(16)}`);
  const thisUpdate = readTime(expect(parts[2], TAG.GENERALIZED_TIME, "thisUpdate"));
  const nextNode = parts[3]?.tag === contextTag(0) ? parts[3] : undefined;
  const nextUpdate = nextNode ? readTime(expect(children(nextNode)[0], TAG.GENERALIZED_TIME, "nextUpdate")) : null;
  const hashName = HASHES[hashOid];
  const forLeaf = leafSerial !== null && issuerKeyBits !== null && hashName !== undefined
    && serial.equals(leafSerial) && createHash(hashName).update(issuerKeyBits).digest().equals(issuerKeyHash);
  return {
    view: {
      status,
      serial: serial.toString("hex"),
      thisUpdate: new Date(thisUpdate).toISOString(),
      nextUpdate: nextUpdate === null ? null : new Date(nextUpdate).toISOString(),
      revocationTime,
      forLeaf,
    },
    thisUpdate,
    nextUpdate,
  };
}
