/**
 * A Postfix master of its own for the mail benches: smtpd on port 25 only,
 * nothing delivered (every recipient refused), STARTTLS with TLS 1.2/1.3 and
 * ECDHE AEAD suites, config, queue and log in the bench's temp dir. Debian's
 * Postfix (/usr/lib/postfix/sbin/master); started by the caller inside the
 * namespace with `master -c CONF -d`.
 */
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { run, type NetnsLab } from "./netns-lab.ts";

export interface PostfixOptions {
  /** The greeting's host name (myhostname). */
  hostname: string;
  /** The TLS key and certificate chain files, in that order. */
  keyFile: string;
  certFile: string;
  /** master.cf listeners: "ADDRESS:25", "[V6]:25", or "smtp" for port 25 on every address. */
  listeners: string[];
  /** inet_interfaces: "loopback-only" behind the relay, "all" when listening on many addresses. */
  interfaces: string;
}

/** Writes LAB.dir/postfix (main.cf, master.cf, the queue's directories) and returns the config dir. */
export function writePostfix(lab: NetnsLab, options: PostfixOptions): string {
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
myhostname = ${options.hostname}
mydestination =
relay_domains =
local_recipient_maps =
inet_interfaces = ${options.interfaces}
inet_protocols = all
smtpd_recipient_restrictions = reject
smtpd_relay_restrictions = reject
smtpd_tls_security_level = may
smtpd_tls_chain_files = ${options.keyFile}, ${options.certFile}
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
  writeFileSync(join(conf, "master.cf"), [...services, ...options.listeners.map((listener) => `${listener} inet n - n - - smtpd`)].join("\n") + "\n");
  return conf;
}

/**
 * Postfix's own complaints (limits reached, TLS failures) in LAB.dir/postfix.log,
 * without the TLS probes' refused handshakes (old versions, odd suites), which are expected.
 */
export function postfixWarnings(lab: NetnsLab): string[] {
  let log = "";
  try {
    log = readFileSync(join(lab.dir, "postfix.log"), "utf8");
  } catch {
    // No log: Postfix said nothing.
  }
  return log.split("\n").filter((line) => /warning|fatal|error/i.test(line) && !/SSL_accept error|TLS library problem/.test(line));
}
