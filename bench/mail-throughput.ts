/**
 * Mail suite throughput: 100 lab mail domains behind a 20 ms round trip.
 *
 * The delayed namespace of bench/lib/netns-lab.ts, as bench/web-throughput.ts
 * uses (10.254.0.2 and fd00:5a5b::2 inside, 10 ms each way by netem or its
 * user-space relay). Inside run:
 * - Postfix (Debian's; a master of its own, config and queue in a temp dir):
 *   STARTTLS on port 25 with TLS 1.2/1.3, ECDHE AEAD suites, a certificate
 *   for mx.bench.mail.secure from a CA made for this run;
 * - nginx: the MTA-STS policy hosts mta-sts.dNNN.bench.mail.secure on 443;
 * - NSD with the unsigned zone bench.mail.secure (which the DNS lab's signed
 *   mail.secure. delegates there): per domain MX, SPF, DMARC, a DKIM
 *   selector, MTA-STS and TLS-RPT records; mx A/AAAA.
 *
 * Then the whole mail suite runs over d001..d100.bench.mail.secure,
 * CONCURRENCY domains at a time, and the bench prints domains per minute,
 * peak RSS and each test that did not pass with an example summary.
 *
 * Run: `node bench/mail-throughput.ts [DOMAINS=100] [CONCURRENCY=20]` as root
 * (starts the mail lab, which starts the DNS and web labs; needs postfix,
 * nginx, nsd, openssl, iproute2). It removes the namespace, the veth pair and
 * its processes at the end. Not part of the test suite.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { INSIDE4, INSIDE6, acceptsFromHost, acceptsInNs, answersA, connectTime, dnsQueryTime, issueLeaf, makeCa, nginxConf, openNetnsLab, succeedsInNs, waitFor, writeNsdConf, type NetnsLab } from "./lib/netns-lab.ts";
import { mailRecords, makeDkimKey } from "./lib/mail-records.ts";
import { postfixWarnings, writePostfix } from "./lib/postfix.ts";
import { benchDomain, labSettings, printRun, runSuite } from "./lib/suite-throughput.ts";

const DOMAINS = Number(process.argv[2] ?? 100);
const CONCURRENCY = Number(process.argv[3] ?? 20);
const ZONE = "bench.mail.secure";
const MX = `mx.${ZONE}`;
const lab = fileURLToPath(new URL("../lab/", import.meta.url));

const domainName = (index: number): string => benchDomain(index, ZONE);

function makePki(dir: string): void {
  makeCa(dir, "Baseline mail bench CA");
  issueLeaf(dir, "mx", [MX]);
  issueLeaf(dir, "sts", Array.from({ length: DOMAINS }, (_, index) => `mta-sts.${domainName(index)}`));
}

function writeZone(lab: NetnsLab): void {
  const { dir } = lab;
  const key = makeDkimKey(dir);
  const lines = [`$ORIGIN ${ZONE}.`, "$TTL 300", "@ SOA ns hostmaster 1 3600 900 604800 300", "@ NS ns", `ns A ${INSIDE4}`, `mx A ${INSIDE4}`, `mx AAAA ${INSIDE6}`];
  for (let index = 0; index < DOMAINS; index++) {
    const name = domainName(index).slice(0, -(ZONE.length + 1));
    lines.push(...mailRecords(name, domainName(index), MX, key, INSIDE4));
  }
  mkdirSync(join(dir, "zones"), { recursive: true });
  writeFileSync(join(dir, "zones", `${ZONE}.zone`), `${lines.join("\n")}\n`);
  writeNsdConf(lab, ZONE);
}

function writeNginx(lab: NetnsLab): void {
  const { dir } = lab;
  mkdirSync(join(dir, "tmp"), { recursive: true });
  writeFileSync(join(dir, "mta-sts.txt"), `version: STSv1\r\nmode: enforce\r\nmx: ${MX}\r\nmax_age: 604800\r\n`);
  writeFileSync(join(dir, "nginx.conf"), nginxConf(dir, `  server {
    listen ${lab.listen4}:443 ssl;
    ssl_certificate ${dir}/sts.pem; ssl_certificate_key ${dir}/sts.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    location = /.well-known/mta-sts.txt { default_type text/plain; alias ${dir}/mta-sts.txt; }
    location / { return 404; }
  }
`));
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("needs root (a network namespace, ports 25, 53 and 443)");
  // The mail lab's start makes sure the DNS lab serves mail.secure. with the bench's delegation.
  const started = spawnSync("bash", [join(lab, "mail", "start.sh")], { encoding: "utf8" });
  if (started.status !== 0) throw new Error(`lab/mail/start.sh failed: ${started.stderr}`);
  const net = openNetnsLab("baseline-mail-bench-");
  const { dir } = net;
  try {
    makePki(dir);
    writeZone(net);
    writeNginx(net);
    const postfix = writePostfix(net, { hostname: MX, keyFile: join(dir, "mx.key"), certFile: join(dir, "mx.pem"), interfaces: "loopback-only", listeners: [`${net.listen4}:25`, ...(net.listen6 === undefined ? [] : [`[${net.listen6}]:25`])] });
    if (!net.netem) net.startRelay([{ port: 25, v6: true }, { port: 53, v6: false }, { port: 443, v6: false }]);
    net.start("nsd", ["-d", "-c", join(dir, "nsd.conf")]);
    net.start("nginx", ["-c", join(dir, "nginx.conf"), "-e", join(dir, "nginx.log")]);
    net.start("/usr/lib/postfix/sbin/master", ["-c", postfix, "-d"]);
    await waitFor(() => answersA(MX), "NSD in the namespace", 300);
    // The servers themselves, inside the namespace: in relay mode the relay accepts on the public addresses before they are up.
    const greets = (): boolean => succeedsInNs("timeout", ["2", "bash", "-c", `exec 3<>/dev/tcp/${net.listen4}/25; read -r line <&3; [[ $line == 220* ]]`]);
    await waitFor(greets, "Postfix in the namespace", 300);
    await waitFor(() => acceptsInNs(net.listen4, 443), "nginx in the namespace", 300);
    await waitFor(() => acceptsFromHost(25), "port 25 from the host", 300);
    const rtt = (await connectTime(INSIDE4, 25)).toFixed(1);
    const dnsTime = dnsQueryTime(MX);

    const settings = labSettings(readFileSync(join(dir, "ca.pem"), "utf8"), { dkimSelectors: ["lab"] });
    const domains = Array.from({ length: DOMAINS }, (_, index) => domainName(index));
    const result = await runSuite("mail", domains, CONCURRENCY, settings);
    printRun(result, `TCP connect ${rtt} ms, DNS query ${dnsTime} ms; ${net.delayNote}`, "the bench zone is unsigned, so no DNSSEC or DANE; its name server has no AAAA");
    const warnings = postfixWarnings(net);
    if (warnings.length > 0) console.log(`  Postfix logged ${String(warnings.length)} other warnings, e.g.:\n    ${warnings.slice(0, 5).join("\n    ")}`);
  } finally {
    net.close();
  }
}

await main();
