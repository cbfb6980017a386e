// The parking-garage ticket: entering issues a ticket cookie stamped with the time and signed
// with HMAC; leaving computes the fee from it. The client holds the state and the signature stops
// it from rewriting its entry time, but a signature cannot stop a copy of a valid ticket from
// being used twice: so the garage remembers each ticket spent at the exit, until it would have
// expired anyway. Every change is a POST with a form token, answered with a redirect (Post/
// Redirect/Get), so a reload never repeats it.
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createSigner, html, HttpError, sessionsDir, type CgiRequest, type CgiResponse, type CookieOptions, type SafeHtml, type Signer,
} from 'node-cgi-shim';
import { checkFormToken, tokenField } from './_form-token.js';
import { demoCookieOptions, money, runDemo, showPage } from './_layout.js';

interface Ticket {
  /** Random, so the garage can remember this one ticket as spent. */
  id: string;
  /** Ticket number, for people. */
  number: number;
  /** Entry time, ms since the epoch. */
  enteredAt: number;
}

interface Receipt {
  number: number;
  enteredAt: number;
  leftAt: number;
  cents: number;
}

const TICKET = 'ticket';
const RECEIPT = 'receipt';
const TICKET_LIFETIME_SECONDS = 7 * 86400;
const RECEIPT_LIFETIME_SECONDS = 600;
const FREE_MINUTES = 15;
const CENTS_PER_HOUR = 200;
const MAX_CENTS_PER_DAY = 2000;
/** The spent tickets' folder, inside the sessions folder. */
const SPENT_FOLDER = 'parking-spent';
/** A ticket id: 16 random bytes in base64url. Checked before it names a file. */
const TICKET_ID = /^[A-Za-z0-9_-]{22}$/;

/** Why a ticket the browser brought was refused. */
type Refusal = 'forged' | 'expired' | 'spent';

runDemo(async (request, response) => {
  const signer = await createSigner();
  const spentDir = join(await sessionsDir(request.env), SPENT_FOLDER);
  const ticketOptions: CookieOptions = { ...demoCookieOptions(request), maxAgeSeconds: TICKET_LIFETIME_SECONDS };
  const raw = request.cookies[TICKET];
  const checked = raw === undefined ? undefined : checkTicket(signer, raw, spentDir);
  if (typeof checked === 'string') {
    // Refused: take the ticket back, so the visitor can start over.
    response.status = 403;
    response.clearCookie(TICKET, ticketOptions);
    return showRefusal(response, checked, raw ?? '');
  }
  const ticket = checked;
  if (request.method === 'POST') {
    const form = await request.form();
    await checkFormToken(request, form);
    const action = form.fields.get('action');
    if (action === 'enter') {
      if (ticket === undefined) {
        const fresh: Ticket = { id: randomBytes(16).toString('base64url'), number: randomInt(100000, 1000000), enteredAt: Date.now() };
        response.setCookie(TICKET, signer.sign(JSON.stringify(fresh)), ticketOptions);
        response.clearCookie(RECEIPT, receiptOptions(request));
      }
    } else if (action === 'leave') {
      // No ticket: this exit was paid already (a second click, a resent form). Show the receipt.
      if (ticket !== undefined) leave(request, response, signer, ticket, spentDir, ticketOptions);
    } else {
      throw new HttpError(400, 'Unknown action.');
    }
    return response.redirect('parking.cgi', 303);
  }
  const receipt = readReceipt(signer.verify(request.cookies[RECEIPT]));
  await showGate(request, response, ticket, raw, receipt);
}, { methods: ['GET', 'POST'] });

/** The exit: marks the ticket spent (or refuses it, if another exit was first), hands a receipt. */
function leave(request: CgiRequest, response: CgiResponse, signer: Signer, ticket: Ticket, spentDir: string, options: CookieOptions): void {
  const leftAt = Date.now();
  if (!markSpent(spentDir, ticket.id, leftAt)) throw new HttpError(403, 'This ticket has been used to leave already.');
  const receipt: Receipt = { number: ticket.number, enteredAt: ticket.enteredAt, leftAt, cents: fee(ticket.enteredAt, leftAt) };
  response.clearCookie(TICKET, options);
  response.setCookie(RECEIPT, signer.sign(JSON.stringify(receipt)), receiptOptions(request));
}

/** The ticket, or why it is refused: a bad signature, too old, or spent already. */
function checkTicket(signer: Signer, raw: string, spentDir: string): Ticket | Refusal {
  const value = signer.verify(raw);
  if (value === undefined) return 'forged';
  let parsed: Partial<Ticket>;
  try {
    parsed = JSON.parse(value) as Partial<Ticket>;
  } catch {
    return 'forged'; // A valid signature over something that is not a ticket.
  }
  const { id, number, enteredAt } = parsed;
  if (typeof id !== 'string' || !TICKET_ID.test(id) || !Number.isSafeInteger(number) || !Number.isSafeInteger(enteredAt) || enteredAt! > Date.now()) return 'forged';
  if (enteredAt! < Date.now() - TICKET_LIFETIME_SECONDS * 1000) return 'expired';
  if (existsSync(join(spentDir, id))) return 'spent';
  return { id, number: number!, enteredAt: enteredAt! };
}

/**
 * Remembers `id` as spent; false when it was already. Creating the file is the check and the mark
 * in one atomic step (O_EXCL: the file must not exist yet), so of two exits racing with copies of
 * one ticket exactly one succeeds, without a lock. Marks older than any valid ticket are removed.
 */
function markSpent(dir: string, id: string, now: number): boolean {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  forgetExpired(dir, now);
  try {
    writeFileSync(join(dir, id), String(now), { flag: 'wx', mode: 0o600 });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** Removes marks of tickets that would be refused as expired anyway: the list stays small. */
function forgetExpired(dir: string, now: number): void {
  const cutoff = now - TICKET_LIFETIME_SECONDS * 1000;
  for (const name of readdirSync(dir)) {
    if (!TICKET_ID.test(name)) continue;
    try {
      if (lstatSync(join(dir, name)).mtimeMs < cutoff) unlinkSync(join(dir, name));
    } catch {
      // Removed by another exit meanwhile.
    }
  }
}

async function showGate(request: CgiRequest, response: CgiResponse, ticket: Ticket | undefined, raw: string | undefined, receipt: Receipt | undefined) {
  const token = await tokenField(request, response);
  const now = Date.now();
  const body = ticket === undefined
    ? html`
${receipt === undefined ? '' : html`<p id="receipt">Ticket <strong>${receipt.number}</strong>:
${Math.floor((receipt.leftAt - receipt.enteredAt) / 60000)} minutes, left at ${new Date(receipt.leftAt).toISOString()}.
You paid <strong id="paid">${money(receipt.cents)}</strong>. Goodbye!</p>`}
<p id="gate">Welcome! Take a ticket to enter. The first ${FREE_MINUTES} minutes are free, then
${money(CENTS_PER_HOUR)} per started hour, at most ${money(MAX_CENTS_PER_DAY)} a day.</p>
<form method="post" action="parking.cgi">${token}<input type="hidden" name="action" value="enter"><button type="submit" id="enter">Take a ticket</button></form>`
    : html`
<p id="ticket">Ticket <strong>${ticket.number}</strong>: you entered at ${new Date(ticket.enteredAt).toISOString()}
(${Math.floor((now - ticket.enteredAt) / 60000)} minutes ago). The fee so far is <strong id="fee">${money(fee(ticket.enteredAt, now))}</strong>.</p>
<form method="post" action="parking.cgi">${token}<input type="hidden" name="action" value="leave"><button type="submit" id="leave">Pay and leave</button></form>
<p>Your browser holds the ticket, a cookie:</p>
<pre id="ticket-cookie">${TICKET}=${raw ?? ''}</pre>`;
  showPage(response, 'Parking garage', html`${body}${lessons()}`, {
    mark: [TICKET, RECEIPT],
    story: ticket !== undefined
      ? html`Your browser sent the ticket; the garage checked its signature and that it is not spent,
and computed the fee from the entry time inside it. Nothing about you is stored on the server.`
      : receipt !== undefined
        ? html`The exit took the ticket back (<code>Max-Age=0</code>), noted its id as spent, and
handed you a signed receipt cookie whose Path is this script alone, for ${RECEIPT_LIFETIME_SECONDS / 60} minutes.`
        : html`No ticket yet. Taking one is a POST with this form's token, answered with a redirect,
so reloading the next page never takes a second ticket.`,
  });
}

function showRefusal(response: CgiResponse, refusal: Refusal, raw: string) {
  const why: Record<Refusal, SafeHtml> = {
    forged: html`<p class="error" id="refused">This ticket was not issued by this garage: its signature
does not match what the garage's secret key gives for it. The ticket has been taken back.</p>`,
    expired: html`<p class="error" id="refused">This ticket is more than ${TICKET_LIFETIME_SECONDS / 86400} days
old: it has expired. The ticket has been taken back.</p>`,
    spent: html`<p class="error" id="spent">This ticket has been used to leave already. Its signature
is genuine, which is exactly the point: a copy of a valid ticket is just as valid, so the garage
remembered its id as spent when it left. The ticket has been taken back.</p>`,
  };
  showPage(response, 'Parking garage', html`${why[refusal]}
<pre>${TICKET}=${raw}</pre>
<p><a href="parking.cgi">Back to the gate</a> to take a new ticket.</p>${lessons()}`, {
    mark: [TICKET],
    story: html`The browser sent a ticket the garage refuses, so the answer is 403 and a
<code>Set-Cookie</code> that deletes it.`,
  });
}

/** Both halves of the lesson, on every page of the demo. */
function lessons(): SafeHtml {
  return html`
<h2>What the signature stops, and what it does not</h2>
<p class="note"><strong>Forgery.</strong> Before the dot, the ticket is base64url of JSON: decode
it and read your entry time. After the dot is an HMAC-SHA256 of it under the garage's secret key.
Change one character of the time and the signature no longer matches: the garage refuses it.
Reading is allowed, forging is not.</p>
<p class="note"><strong>Replay.</strong> A copy of a genuine ticket carries a genuine signature.
Keep a copy of your ticket, pay and leave, then put the copy back (in the developer tools, or
with <code>curl -b</code>) and it would pass again, every time. So the exit remembers each
ticket's random id as spent, in a small file beside the sessions, until the ticket would be
refused as expired anyway (${TICKET_LIFETIME_SECONDS / 86400} days). That is the price of the fix:
state kept by the client still needs a little state on the server to be used only once.</p>
<p>Compare the <a href="counter.cgi">visit counter</a>, where the state stays on the server and
the cookie holds only a random session ID, and the <a href="signed-session.cgi">signed cookie
demo</a>.</p>`;
}

function receiptOptions(request: CgiRequest): CookieOptions {
  return { ...demoCookieOptions(request), path: '/cgi-bin/parking.cgi', maxAgeSeconds: RECEIPT_LIFETIME_SECONDS };
}

function readReceipt(value: string | undefined): Receipt | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed = JSON.parse(value) as Partial<Receipt>;
    const numbers = [parsed.number, parsed.enteredAt, parsed.leftAt, parsed.cents];
    if (numbers.every((n) => Number.isSafeInteger(n))) return parsed as Receipt;
  } catch {
    // Signed by us but not a receipt: show none.
  }
  return undefined;
}

/** The fee: free for the first minutes, then per started hour, capped per started day. */
function fee(enteredAt: number, now: number): number {
  const minutes = Math.max(0, (now - enteredAt) / 60000);
  if (minutes <= FREE_MINUTES) return 0;
  const days = Math.floor(minutes / 1440);
  const rest = minutes - days * 1440;
  return days * MAX_CENTS_PER_DAY + Math.min(MAX_CENTS_PER_DAY, Math.ceil(rest / 60) * CENTS_PER_HOUR);
}
