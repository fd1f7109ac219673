/**
 * Web suite throughput: 200 lab domains behind a 20 ms round trip.
 *
 * The delayed namespace of bench/lib/netns-lab.ts (10.254.0.2 and
 * fd00:5a5b::2 inside, 10 ms each way by netem or its user-space relay). Inside
 * it run nginx (one wildcard certificate *.bench.web.secure from a CA made
 * for this run, HSTS, security headers, security.txt, ports 80 and 443 on
 * both addresses) and NSD with the unsigned zone bench.web.secure
 * (`* A 10.254.0.2`, `* AAAA fd00:5a5b::2`), which the DNS lab's signed
 * web.secure. delegates there. So every domain is resolved from the lab's
 * root, the last step across the delayed link, and every probe crosses it.
 *
 * Then the whole web suite runs over d001..d200.bench.web.secure, CONCURRENCY
 * domains at a time, and the bench prints domains per minute, peak RSS and
 * how many tests ended in each status.
 *
 * Run: `node bench/web-throughput.ts [DOMAINS] [CONCURRENCY]` as root (starts
 * the DNS lab when it is not running; needs nginx, nsd, openssl, iproute2).
 * It removes the namespace, the veth pair and its processes at the end.
 * Not part of the test suite.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { INSIDE4, INSIDE6, acceptsFromHost, acceptsInNs, answersA, connectTime, dnsQueryTime, issueLeaf, makeCa, nginxConf, openNetnsLab, waitFor, writeNsdConf, type NetnsLab } from "./lib/netns-lab.ts";
import { benchDomain, labSettings, printRun, runSuite } from "./lib/suite-throughput.ts";

const DOMAINS = Number(process.argv[2] ?? 200);
const CONCURRENCY = Number(process.argv[3] ?? 20);
const ZONE = "bench.web.secure";
const labDns = fileURLToPath(new URL("../lab/dns/", import.meta.url));

/** Writes nginx's config, its content and NSD's zone, listening where LAB says. */
function writeServers(lab: NetnsLab): void {
  const { dir } = lab;
  const on = (port: string): string => [lab.listen4, ...(lab.listen6 === undefined ? [] : [`[${lab.listen6}]`])].map((address) => `listen ${address}:${port};`).join(" ");
  const expires = new Date(Date.now() + 180 * 86_400_000).toISOString().replace(/\.\d+Z$/, "Z");
  for (const sub of ["www/.well-known", "tmp", "zones"]) mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(join(dir, "www/index.html"), `<!doctype html><title>bench</title>${"<p>Baseline throughput bench.</p>\n".repeat(40)}`);
  writeFileSync(join(dir, "www/.well-known/security.txt"), `Contact: mailto:security@${ZONE}\nExpires: ${expires}\nEncryption: https://${ZONE}/pgp-key.txt\n`);
  const headers = [
    'Strict-Transport-Security "max-age=31536000"', 'X-Frame-Options "DENY"', 'X-Content-Type-Options "nosniff"', 'Referrer-Policy "no-referrer"',
    "Content-Security-Policy \"default-src 'self'; frame-ancestors 'self'; base-uri 'self'; form-action 'self'\"",
  ].map((header) => `    add_header ${header} always;`).join("\n");
  writeFileSync(join(dir, "nginx.conf"), nginxConf(dir, `  include /etc/nginx/mime.types;
  server { ${on("80")} location / { return 301 https://$host$request_uri; } }
  server {
    ${on("443 ssl")}
    ssl_certificate ${dir}/leaf.pem; ssl_certificate_key ${dir}/leaf.key;
    ssl_protocols TLSv1.2 TLSv1.3; ssl_prefer_server_ciphers on; ssl_ecdh_curve X25519:prime256v1:secp384r1;
    ssl_ciphers "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256:@SECLEVEL=2";
    root ${dir}/www;
    location = /.well-known/security.txt { types { } default_type "text/plain; charset=utf-8"; }
${headers}
  }
`));
  writeFileSync(join(dir, "zones", `${ZONE}.zone`), `$ORIGIN ${ZONE}.\n$TTL 300\n@ SOA ns hostmaster 1 3600 900 604800 300\n@ NS ns\nns A ${INSIDE4}\n* A ${INSIDE4}\n* AAAA ${INSIDE6}\n`);
  writeNsdConf(lab, ZONE);
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("needs root (a network namespace, ports 53, 80 and 443)");
  const started = spawnSync("bash", [join(labDns, "start.sh")], { encoding: "utf8" });
  if (started.status !== 0) throw new Error(`lab/dns/start.sh failed: ${started.stderr}`);
  const lab = openNetnsLab("baseline-bench-");
  try {
    makeCa(lab.dir, "Baseline bench CA");
    issueLeaf(lab.dir, "leaf", [`*.${ZONE}`]);
    writeServers(lab);
    if (!lab.netem) lab.startRelay([{ port: 53, v6: false }, { port: 80, v6: true }, { port: 443, v6: true }]);
    lab.start("nsd", ["-d", "-c", join(lab.dir, "nsd.conf")]);
    lab.start("nginx", ["-c", join(lab.dir, "nginx.conf"), "-e", join(lab.dir, "nginx.log")]);
    await waitFor(() => answersA(`x.${ZONE}`), "NSD in the namespace");
    await waitFor(() => acceptsInNs(lab.listen4, 443), "nginx in the namespace");
    await waitFor(() => acceptsFromHost(443), "port 443 from the host");
    const rtt = (await connectTime(INSIDE4, 443)).toFixed(1);
    const dnsTime = dnsQueryTime(`probe.${ZONE}`);

    const settings = labSettings(readFileSync(join(lab.dir, "ca.pem"), "utf8"));
    const domains = Array.from({ length: DOMAINS }, (_, index) => benchDomain(index, ZONE));
    const result = await runSuite("web", domains, CONCURRENCY, settings);
    printRun(result, `TCP connect ${rtt} ms, DNS query ${dnsTime} ms; ${lab.delayNote}`, "the bench zone is unsigned, without CAA or TLSA, its name server has no AAAA");
  } finally {
    lab.close();
  }
}

await main();
