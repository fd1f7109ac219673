/**
 * The web suite's HTTP checks: HTTPS, its redirect, HSTS and compression
 * (web.https), the security headers and security.txt (web.appsecpriv), and
 * the web server over IPv6 (web.ipv6). They read the network through the
 * bounded client of src/checks/http, sharing each address's first answer.
 */
import type { CheckDefinition } from "../../types.ts";
import { contentSecurityPolicy } from "./csp.ts";
import { contentTypeOptions, frameOptions, referrerPolicy } from "./headers.ts";
import { hsts } from "./hsts.ts";
import { httpCompression, httpsAvailable, httpsRedirect } from "./https.ts";
import { ipv6Reachable, ipv6SameContent } from "./ipv6.ts";
import { securityTxt } from "./security-txt.ts";

export const WEB_HTTP_CHECKS: readonly CheckDefinition[] = [
  ipv6Reachable,
  ipv6SameContent,
  httpsAvailable,
  httpsRedirect,
  hsts,
  httpCompression,
  frameOptions,
  contentTypeOptions,
  referrerPolicy,
  contentSecurityPolicy,
  securityTxt,
];
