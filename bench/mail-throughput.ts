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
import { ENV, INSIDE4, INSIDE6, acceptsFromHost, acceptsInNs, answersA, connectTime, dnsQueryTime, issueLeaf, makeCa, nginxConf, openNetnsLab, run, succeedsInNs, waitFor, writeNsdConf, type NetnsLab } from "./lib/netns-lab.ts";
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
  run("openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", join(dir, "dkim.key")]);
}

function txt(text: string): string {
  const parts: string[] = [];
  for (let at = 0; at < text.length; at += 250) parts.push(`"${text.slice(at, at + 250)}"`);
  return parts.join(" ");
}

function writeZone(lab: NetnsLab): void {
  const { dir } = lab;
  const key = spawnSync("openssl", ["pkey", "-in", join(dir, "dkim.key"), "-pubout", "-outform", "DER"], { env: ENV }).stdout.toString("base64");
  const lines = [`$ORIGIN ${ZONE}.`, "$TTL 300", "@ SOA ns hostmaster 1 3600 900 604800 300", "@ NS ns", `ns A ${INSIDE4}`, `mx A ${INSIDE4}`, `mx AAAA ${INSIDE6}`];
  for (let index = 0; index < DOMAINS; index++) {
    const name = domainName(index).slice(0, -(ZONE.length + 1));
    lines.push(`${name} MX 10 ${MX}.`, `${name} TXT "v=spf1 mx -all"`,
      `_dmarc.${name} TXT "v=DMARC1; p=reject; rua=mailto:dmarc@${domainName(index)}"`,
      `lab._domainkey.${name} TXT ${txt(`v=DKIM1; k=rsa; p=${key}`)}`,
      `_mta-sts.${name} TXT "v=STSv1; id=1"`, `mta-sts.${name} A ${INSIDE4}`,
      `_smtp._tls.${name} TXT "v=TLSRPTv1; rua=mailto:tlsrpt@${domainName(index)}"`);
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

/** A Postfix master of its own: smtpd on port 25 only, nothing delivered. */
function writePostfix(lab: NetnsLab): string {
  const { dir } = lab;
  const conf = join(dir, "postfix");
  const queue = join(conf, "queue");
  mkdirSync(conf, { recursive: true });
  for (const sub of ["active", "bounce", "corrupt", "defer", "deferred", "flush", "hold", "incoming", "private", "saved", "trace"]) run("install", ["-d", "-o", "postfix", "-g", "root", "-m", "0700", join(queue, sub)]);
  run("install", ["-d", "-o", "root", "-g", "root", "-m", "0755", join(queue, "pid")]);
  run("install", ["-d", "-o", "postfix", "-g", "postdrop", "-m", "0730", join(queue, "maildrop")]);
  run("install", ["-d", "-o", "postfix", "-g", "postdrop", "-m", "0710", join(queue, "public")]);
  run("install", ["-d", "-o", "postfix", "-g", "postfix", "-m", "0700", join(conf, "data")]);
  writeFileSync(join(conf, "main.cf"), `compatibility_level = 3.6
queue_directory = ${queue}
data_directory = ${conf}/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = ${MX}
mydestination =
relay_domains =
local_recipient_maps =
inet_interfaces = loopback-only
inet_protocols = all
smtpd_recipient_restrictions = reject
smtpd_relay_restrictions = reject
smtpd_tls_security_level = may
smtpd_tls_chain_files = ${dir}/mx.key, ${dir}/mx.pem
smtpd_tls_protocols = >=TLSv1.2
smtpd_tls_ciphers = high
tls_high_cipherlist = ECDHE+AESGCM:ECDHE+CHACHA20:@SECLEVEL=2
tls_preempt_cipherlist = yes
tls_ssl_options = NO_RENEGOTIATION
smtpd_tls_session_cache_database =
maillog_file = ${dir}/postfix.log
maillog_file_prefixes = ${dir}
smtpd_client_connection_rate_limit = 0
smtpd_client_connection_count_limit = 0
default_process_limit = 400
smtpd_peername_lookup = no
`);
  const services = readFileSync("/usr/share/postfix/master.cf.dist", "utf8").split("\n")
    .filter((line) => line !== "" && !line.startsWith("#") && !line.startsWith(" ") && !/^(smtp\s+inet|pickup)\s/.test(line))
    .map((line) => {
      const fields = line.split(/\s+/);
      if (fields.length >= 8 && fields[4] === "y") fields[4] = "n";
      return fields.join(" ");
    });
  const listeners = [`${lab.listen4}:25`, ...(lab.listen6 === undefined ? [] : [`[${lab.listen6}]:25`])];
  writeFileSync(join(conf, "master.cf"), [...services, ...listeners.map((listener) => `${listener} inet n - n - - smtpd`)].join("\n") + "\n");
  return conf;
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
    const postfix = writePostfix(net);
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
    // Postfix's own complaints (limits reached, TLS failures), if any.
    let log = "";
    try {
      log = readFileSync(join(dir, "postfix.log"), "utf8");
    } catch {
      // No log: Postfix said nothing.
    }
    // The TLS probes' refused handshakes (old versions, odd suites) are expected noise.
    const warnings = log.split("\n").filter((line) => /warning|fatal|error/i.test(line) && !/SSL_accept error|TLS library problem/.test(line));
    if (warnings.length > 0) console.log(`  Postfix logged ${String(warnings.length)} other warnings, e.g.:\n    ${warnings.slice(0, 5).join("\n    ")}`);
  } finally {
    net.close();
  }
}

await main();
