import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import type { HttpResponse } from "../../http/client.ts";
import { judgeCsp, parseCsp } from "./csp.ts";
import { judgeContentTypeOptions, judgeFrameOptions, judgeReferrerPolicy } from "./headers.ts";
import { judgeHsts, parseHsts } from "./hsts.ts";
import { contentTypeProblem, judgeSecurityTxt } from "./security-txt.ts";
import { invalidUtf8Lines, parseSecurityTxt } from "./security-txt-parse.ts";
import { bodyText, similarity } from "./similarity.ts";

function responseWith(headers: [string, string][]): HttpResponse {
  return { url: "https://example.test/", address: "127.0.0.1", port: 443, status: 200, statusText: "OK", httpVersion: "1.1", headers, body: Buffer.alloc(0), bodyTruncated: false, tls: null, durationMs: 1 };
}

describe("HSTS parser (RFC 6797)", () => {
  it("reads max-age, includeSubDomains and preload in any case and with a quoted value", () => {
    assert.deepEqual(parseHsts('Max-Age="31536000"; includeSubDomains ;PRELOAD'), { valid: true, maxAge: 31536000, includeSubDomains: true, preload: true, directives: ["max-age", "includesubdomains", "preload"] });
  });
  it("refuses a repeated directive, a missing or non-numeric max-age and an open quote", () => {
    assert.match(invalid(parseHsts("max-age=31536000; max-age=63072000")), /more than once/);
    assert.match(invalid(parseHsts("includeSubDomains")), /missing/);
    assert.match(invalid(parseHsts("max-age=-1")), /not a number/);
    assert.match(invalid(parseHsts("max-age=1e9")), /not a number/);
    assert.match(invalid(parseHsts('max-age="31536000')), /quoted/);
    assert.match(invalid(parseHsts("max-age=31536000, max-age=31536000")), /joined by a comma/);
  });
  it("fails a short max-age with the numbers in the summary, and reads only the first header", () => {
    assert.equal(judgeHsts(["max-age=300"]).summary, "HSTS max-age is 300 s; at least 31536000 s (one year) is required");
    assert.equal(judgeHsts(["max-age=31536000", "max-age=0"]).status, "passed");
    assert.equal(judgeHsts([]).status, "failed");
  });
});

function invalid(parse: ReturnType<typeof parseHsts>): string {
  if (parse.valid) assert.fail("the header should be invalid");
  return parse.reason;
}

describe("security headers", () => {
  it("X-Frame-Options: DENY/SAMEORIGIN pass, conflicts and ALLOW-FROM fail, CSP frame-ancestors is an alternative", () => {
    assert.equal(judgeFrameOptions(responseWith([["x-frame-options", "sameorigin"]])).status, "passed");
    assert.equal(judgeFrameOptions(responseWith([["x-frame-options", "DENY"], ["x-frame-options", "SAMEORIGIN"]])).status, "failed");
    assert.equal(judgeFrameOptions(responseWith([["x-frame-options", "ALLOW-FROM https://a.example"]])).status, "failed");
    assert.equal(judgeFrameOptions(responseWith([["content-security-policy", "frame-ancestors 'none'"]])).status, "passed");
    assert.equal(judgeFrameOptions(responseWith([["content-security-policy", "frame-ancestors *"]])).status, "failed");
  });
  it("X-Content-Type-Options: the first value must be nosniff", () => {
    assert.equal(judgeContentTypeOptions(responseWith([["x-content-type-options", "NoSniff"]])).status, "passed");
    assert.equal(judgeContentTypeOptions(responseWith([["x-content-type-options", "sniff, nosniff"]])).status, "failed");
    assert.equal(judgeContentTypeOptions(responseWith([])).status, "failed");
  });
  it("Referrer-Policy: the last known token counts; good, warn and bad policies", () => {
    const verdict = (value: string): string => judgeReferrerPolicy(responseWith([["referrer-policy", value]])).status;
    assert.equal(verdict("no-referrer"), "passed");
    assert.equal(verdict("strict-origin-when-cross-origin"), "passed");
    assert.equal(verdict("origin-when-cross-origin"), "warning");
    assert.equal(verdict("unsafe-url"), "failed");
    assert.equal(verdict("no-referrer-when-downgrade"), "failed");
    assert.equal(verdict("unsafe-url, same-origin, some-future-policy"), "passed");
    assert.equal(verdict("same-origin, unsafe-url"), "failed");
    assert.equal(verdict("nonsense"), "failed");
    assert.equal(judgeReferrerPolicy(responseWith([])).status, "warning");
  });
});

describe("CSP", () => {
  it("parses per CSP3: lower-case names, first of a repeated directive wins, empty tokens skipped", () => {
    const policy = parseCsp(" Default-Src 'self' ;;script-src https://cdn.example ; default-src *");
    assert.deepEqual([...policy.directives.entries()], [["default-src", ["'self'"]], ["script-src", ["https://cdn.example"]]]);
    assert.deepEqual(policy.duplicates, ["default-src"]);
  });
  it("passes a strict policy and names every weakness of a loose one", () => {
    const strict = "default-src 'self'; script-src 'self' https://cdn.example; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";
    assert.equal(judgeCsp([strict], [], "example.test").status, "passed");
    const loose = judgeCsp(["default-src *; script-src 'self' 'unsafe-inline' 'unsafe-eval' data:; img-src http://img.example; style-src 'self' 'unsafe-inline'"], [], "example.test");
    assert.equal(loose.status, "failed");
    assert.deepEqual(loose.evidence.issues, [
      "script-src allows 'unsafe-inline' 'unsafe-eval' data:",
      "default-src allows *",
      "img-src allows http://img.example",
      "style-src allows 'unsafe-inline'",
      "default-src is not 'none', or 'self' with at most hosts of the domain",
      "frame-ancestors is missing or not 'self' or 'none'",
      "base-uri is missing or not 'none', or 'self' with at most hosts of the domain",
      "form-action is missing or not limited to 'self', 'none' or named https hosts",
    ]);
    assert.deepEqual(judgeCsp(["script-src 'self'"], [], "example.test").evidence.issues, [
      "object-src is not restricted (neither it nor default-src is set)",
      "default-src is not 'none', or 'self' with at most hosts of the domain",
      "neither default-src nor frame-src limits frames",
      "frame-ancestors is missing or not 'self' or 'none'",
      "base-uri is missing or not 'none', or 'self' with at most hosts of the domain",
      "form-action is missing or not limited to 'self', 'none' or named https hosts",
    ]);
  });
  it("accepts in default-src and base-uri only 'none', or 'self' with hosts of the domain", () => {
    const rest = "; frame-ancestors 'none'; form-action 'self'";
    assert.deepEqual(judgeCsp([`default-src 'self' https://cdn.example.test *.example.test; base-uri 'self'${rest}`], [], "example.test").evidence.issues, []);
    assert.deepEqual(judgeCsp([`default-src 'self' https://cdn.example.test; base-uri 'self'${rest}`], [], "www.example.test").evidence.issues, ["default-src is not 'none', or 'self' with at most hosts of the domain"]);
    assert.deepEqual(judgeCsp([`default-src 'self' https://cdn.other.test; base-uri 'none'${rest}`], [], "example.test").evidence.issues, ["default-src is not 'none', or 'self' with at most hosts of the domain"]);
    assert.deepEqual(judgeCsp([`default-src 'none'; base-uri 'self' 'none'${rest}`], [], "example.test").evidence.issues, ["base-uri is missing or not 'none', or 'self' with at most hosts of the domain"]);
  });

  it("ignores 'unsafe-inline' next to a nonce, and host and scheme sources with 'strict-dynamic', as CSP3 does", () => {
    const rest = "; object-src 'none'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'";
    assert.deepEqual(judgeCsp([`default-src 'self'; script-src 'nonce-r4nd0m' 'unsafe-inline' 'strict-dynamic' https:${rest}`], [], "example.test").evidence.issues, []);
    assert.deepEqual(judgeCsp([`default-src 'self'; script-src 'sha256-abc=' 'unsafe-inline' https:${rest}`], [], "example.test").evidence.issues, ["script-src allows https:"]);
    assert.deepEqual(judgeCsp([`default-src 'self'; script-src 'nonce-r4nd0m' 'strict-dynamic' 'unsafe-eval'${rest}`], [], "example.test").evidence.issues, ["script-src allows 'unsafe-eval'"]);
  });

  it("counts a rule as enforced when any of several policies imposes it; report-only enforces nothing", () => {
    const two = judgeCsp(["default-src 'self' 'unsafe-inline'; frame-ancestors 'self'", "default-src 'none'; base-uri 'none'; form-action 'self'"], [], "example.test");
    assert.deepEqual(two.evidence.issues, []);
    assert.match(judgeCsp([], ["default-src 'self'"], "example.test").summary, /Report-Only/);
  });
});

describe("security.txt parser (RFC 9116)", () => {
  const now = Date.parse("2026-12-01T00:00:00Z");
  it("accepts a minimal file and lists its fields", () => {
    const parsed = parseSecurityTxt(Buffer.from("# hello\r\nContact: https://example.test/report\r\nExpires: 2027-06-01T00:00:00Z\r\n"), now);
    assert.deepEqual(parsed.errors, []);
    assert.deepEqual(parsed.warnings, []);
    assert.equal(parsed.expires, "2027-06-01T00:00:00.000Z");
    assert.deepEqual(parsed.fields.map((field) => field.name), ["Contact", "Expires"]);
  });
  it("reports missing Contact, a second Expires, an expired file, http URIs and bad lines with line numbers", () => {
    const parsed = parseSecurityTxt(Buffer.from("Expires: 2026-01-01T00:00:00Z\nExpires: 2027-01-01T00:00:00Z\nPolicy: http://example.test/policy\nthis is not a field\nHiring:https://example.test/jobs\nPreferred-Languages: en, 12\nCanonical: https://example.test/.well-known/security.txt"), now, ["https://other.test/.well-known/security.txt"]);
    assert.deepEqual(parsed.errors, [
      "line 7: the last line does not end with a line break (CRLF or LF)",
      "line 4: not a field (\"Name: value\"), a comment or an empty line",
      "line 5: the colon after Hiring must be followed by a space",
      "line 3: Policy is a web URI that does not begin with https://",
      "no Contact field (at least one is required)",
      "2 Expires fields (exactly one is allowed)",
      "line 1: the file expired on 2026-01-01T00:00:00.000Z",
      'line 6: Preferred-Languages "12" is not a language tag (RFC 5646)',
      "the file was retrieved from https://other.test/.well-known/security.txt, which no Canonical field lists",
    ]);
  });
  it("warns about Expires more than a year ahead and an e-mail Contact without Encryption; a Canonical may name the first URL of a redirect", () => {
    const text = "Contact: mailto:security@example.test\nExpires: 2029-01-01T00:00:00Z\nCanonical: https://example.test/.well-known/security.txt\n";
    const parsed = parseSecurityTxt(Buffer.from(text), now, ["https://example.test/.well-known/security.txt", "https://cdn.example/security.txt"]);
    assert.deepEqual(parsed.errors, []);
    assert.equal(parsed.warnings.length, 2);
    assert.match(parsed.warnings[0] ?? "", /more than a year ahead/);
    assert.match(parsed.warnings[1] ?? "", /without an Encryption field/);
  });
  it("reads the signed text of a PGP cleartext message, dash-escapes removed", () => {
    const text = [
      "-----BEGIN PGP SIGNED MESSAGE-----", "Hash: SHA512", "",
      "Contact: https://example.test/report", "- Expires: 2027-06-01T00:00:00Z",
      "-----BEGIN PGP SIGNATURE-----", "", "iQIzBAEBCgAdFiEE", "-----END PGP SIGNATURE-----", "",
    ].join("\n");
    const parsed = parseSecurityTxt(Buffer.from(text), now);
    assert.equal(parsed.signed, true);
    assert.deepEqual(parsed.errors, []);
    assert.deepEqual(parsed.fields.map((field) => [field.name, field.line]), [["Contact", 4], ["Expires", 5]]);
    assert.deepEqual(parsed.warnings, ["a signed file should have a Canonical field (where it belongs)"]);
  });
  it("names the lines that are not UTF-8", () => {
    const body = Buffer.concat([Buffer.from("Contact: mailto:a@example.test\nExpires: 2027-06-01T00:00:00Z\n# caf"), Buffer.from([0xe9, 0x0a]), Buffer.from("# ok\n"), Buffer.from([0xff, 0xfe, 0x0a])]);
    assert.deepEqual(invalidUtf8Lines(body), [3, 5]);
    assert.deepEqual(parseSecurityTxt(body, now).errors, ["line 3: not valid UTF-8", "line 5: not valid UTF-8", 'line 5: not a field ("Name: value"), a comment or an empty line']);
  });
  it("does not parse an HTML answer, only reports its type", () => {
    const html = { ...responseWith([["content-type", "text/html"]]), body: Buffer.from("<html>\n<body>not found</body>\n</html>\n") };
    const judged = judgeSecurityTxt(html, false, now);
    assert.equal(judged.status, "failed");
    assert.deepEqual(judged.evidence.errors, ["Content-Type is text/html, not text/plain"]);
  });

  it("requires text/plain with charset=utf-8", () => {
    assert.equal(contentTypeProblem("text/plain; charset=UTF-8"), null);
    assert.equal(contentTypeProblem('Text/Plain;charset="utf-8"'), null);
    assert.match(contentTypeProblem("text/plain") ?? "", /no charset/);
    assert.match(contentTypeProblem("text/html; charset=utf-8") ?? "", /not text\/plain/);
    assert.match(contentTypeProblem("text/plain; charset=iso-8859-1") ?? "", /not utf-8/);
    assert.match(contentTypeProblem(undefined) ?? "", /no Content-Type/);
  });
});

describe("page similarity", () => {
  it("is 1 for equal pages, near 1 for a changed nonce, low for another page", () => {
    const page = `<html><body>${"<p>Welcome to our municipality, read the news.</p>".repeat(20)}<script nonce="abc123"></script></body></html>`;
    assert.equal(similarity(page, page), 1);
    assert.ok(similarity(page, page.replace("abc123", "zzz999")) > 0.99);
    assert.ok(similarity(page, "<html><body><h1>503 Service Unavailable</h1></body></html>") < 0.5);
    assert.equal(similarity("", ""), 1);
    const viewState = (value: string): string => `<form><input type="hidden" name="__VIEWSTATE" value="${value}"><p>short form</p></form>`;
    assert.equal(similarity(viewState("a".repeat(5000)), viewState("b/c+d".repeat(3000))), 1);
  });
  it("decodes a compressed body, and leaves bytes it cannot decode as they are", () => {
    assert.equal(bodyText(gzipSync("hello"), "gzip"), "hello");
    assert.equal(bodyText(Buffer.from("plain"), "gzip"), "plain");
  });
});
