import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { BridgeContext } from '../services.ts';

/** What each scope lets the application do, in words a person approving a device can judge. */
const SCOPE_WORDS: Record<string, string> = {
  openid: 'Confirm who you are',
  profile: 'See your name and user name',
  email: 'See your email address',
  groups: 'See the groups you belong to',
  offline_access: 'Stay signed in (renew its access without asking you again)',
};

const STYLE = `body{font:1rem/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1a1a1a;background:#fff}
h1{font-size:1.6rem;margin:0 0 1rem}
label{display:block;font-weight:600;margin:1rem 0 .25rem}
input[type=text]{font:1.5rem/1.2 ui-monospace,monospace;letter-spacing:.15em;text-transform:uppercase;padding:.5rem .6rem;width:12ch;border:2px solid #444;border-radius:4px;color:#1a1a1a;background:#fff}
button{font:inherit;font-weight:600;padding:.6rem 1.2rem;margin:1rem .5rem 0 0;border-radius:4px;border:2px solid #0b4f9c;cursor:pointer}
button.primary{background:#0b4f9c;color:#fff}
button.secondary{background:#fff;color:#0b4f9c}
:focus-visible{outline:3px solid #b35900;outline-offset:2px}
.code{font:1.4rem ui-monospace,monospace;letter-spacing:.15em}
.alert{border-left:4px solid #a4000f;background:#fdf0f1;padding:.5rem .8rem;color:#5c0008}
.hint{color:#444}
code{background:#f0f0f0;padding:0 .2em}`;

type Status = 200 | 400 | 403 | 429 | 503;

/**
 * One device page: plain HTML, no script, the error pages' security headers, and a CSP whose `form-action` names
 * exactly where this page's form may lead (the bridge itself, plus the IdP's JWT endpoint after a confirmation: a
 * browser applies form-action to the redirect that follows a submission too).
 */
export function devicePage(
  c: BridgeContext,
  page: { title: string; body: HtmlEscapedString | Promise<HtmlEscapedString>; status?: Status; formTargets?: string[] },
): Response | Promise<Response> {
  const formAction = ["'self'", ...(page.formTargets ?? []).map((url) => new URL(url).origin)].join(' ');
  const document = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${page.title}</title><style>${STYLE}</style></head>
<body><main><h1>${page.title}</h1>${page.body}<p class="hint"><small>Request ID: <code>${c.get('requestId') ?? '-'}</code></small></p></main></body></html>`;
  return c.html(document, page.status ?? 200, {
    'Cache-Control': 'no-store',
    Pragma: 'no-cache',
    'Content-Security-Policy': `default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action ${formAction}`,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  });
}

/** Step 1: type the code the device shows (or check the one a verification_uri_complete link filled in). */
export function enterCodePage(c: BridgeContext, input: { csrf: string; userCode?: string; error?: string; status?: Status }) {
  const body = html`${input.error ? html`<p class="alert" role="alert" id="code-error">${input.error}</p>` : ''}
<form method="post" action="/device">
<input type="hidden" name="csrf" value="${input.csrf}">
<input type="hidden" name="action" value="enter">
<label for="user_code">Code shown on your device</label>
<input type="text" id="user_code" name="user_code" value="${input.userCode ?? ''}" autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="12" required autofocus placeholder="XXXX-XXXX"${input.error ? html` aria-invalid="true" aria-describedby="code-error"` : ''}>
<p class="hint">Letters only, for example <code>BCDF-GHJK</code>. Upper or lower case, with or without the dash.</p>
<button type="submit" class="primary">Continue</button>
</form>`;
  return devicePage(c, { title: 'Connect a device', body, ...(input.status && { status: input.status }) });
}

/**
 * Step 2: which application asks for which access; approve (through the IdP) or deny. Never approved by a GET.
 * `formTargets`: the IdP's JWT endpoint and login page, where the approval's redirects lead.
 */
export function confirmPage(c: BridgeContext, input: { csrf: string; clientName: string; userCode: string; scopes: string[]; formTargets: string[] }) {
  const access = input.scopes.map((scope) => SCOPE_WORDS[scope]).filter((words): words is string => words !== undefined);
  const body = html`<p>The application <strong>${input.clientName}</strong> on a device or terminal asks to sign in as you.</p>
<p>Check that your device shows this code: <span class="code">${input.userCode}</span></p>
${access.length ? html`<p>It will be able to:</p><ul>${access.map((words) => html`<li>${words}</li>`)}</ul>` : ''}
<p class="hint">Only approve if you started this sign-in yourself, just now.</p>
<form method="post" action="/device">
<input type="hidden" name="csrf" value="${input.csrf}">
<button type="submit" name="action" value="approve" class="primary" autofocus>Approve</button>
<button type="submit" name="action" value="deny" class="secondary">Deny</button>
</form>`;
  return devicePage(c, { title: `Approve ${input.clientName}?`, body, formTargets: input.formTargets });
}

/** The end of an approval, a denial, or a problem: a message, and where to go from here. */
export function messagePage(c: BridgeContext, input: { title: string; message: string; status?: Status; again?: boolean }) {
  const body = html`<p${input.status && input.status !== 200 ? html` role="alert"` : ''}>${input.message}</p>
${input.again ? html`<p><a href="/device">Enter a code again</a></p>` : ''}`;
  return devicePage(c, { title: input.title, body, ...(input.status && { status: input.status }) });
}
