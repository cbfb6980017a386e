// The parking-garage ticket: entering issues a ticket cookie stamped with the time and signed
// with HMAC; leaving computes the fee from it. The server keeps nothing: the client holds the
// state, and the signature is what stops it from rewriting its own entry time.
import { randomInt } from 'node:crypto';
import { createSigner, html, HttpError, run, type CgiResponse, type CookieOptions } from 'node-cgi-shim';
import { page } from './_layout.js';

interface Ticket {
  /** Ticket number, for the receipt. */
  number: number;
  /** Entry time, ms since the epoch. */
  enteredAt: number;
}

const COOKIE = 'ticket';
const FREE_MINUTES = 15;
const CENTS_PER_HOUR = 200;
const MAX_CENTS_PER_DAY = 2000;

run(async (request, response) => {
  const signer = await createSigner();
  const options: CookieOptions = { path: '/cgi-bin/', httpOnly: true, sameSite: 'lax', secure: request.https, maxAgeSeconds: 7 * 86400 };
  const raw = request.cookies[COOKIE];
  const ticket = raw === undefined ? undefined : readTicket(signer.verify(raw));
  if (raw !== undefined && ticket === undefined) {
    // Forged, edited or garbled: refuse it, and take it back so the visitor can start over.
    response.status = 403;
    response.clearCookie(COOKIE, options);
    return response.html(page('Parking garage', html`
<p class="error" id="refused">This ticket was not issued by this garage: its signature does not
match what the garage's secret key gives for it. The ticket has been taken back.</p>
<p><a href="parking.cgi">Back to the gate</a> to take a new one.</p>`));
  }
  const action = request.method === 'POST' ? (await request.form()).fields.get('action') : undefined;
  if (action === 'enter') {
    if (ticket === undefined) {
      const fresh: Ticket = { number: randomInt(100000, 1000000), enteredAt: Date.now() };
      response.setCookie(COOKIE, signer.sign(JSON.stringify(fresh)), options);
    }
    return response.redirect('parking.cgi', 303);
  }
  if (action === 'leave') {
    if (ticket === undefined) throw new HttpError(400, 'You have no ticket: enter the garage first.');
    response.clearCookie(COOKIE, options);
    return showReceipt(response, ticket);
  }
  if (action !== undefined) throw new HttpError(400, 'Unknown action.');
  showGate(response, ticket, raw);
}, { methods: ['GET', 'POST'] });

function showGate(response: CgiResponse, ticket: Ticket | undefined, raw: string | undefined) {
  response.setHeader('Cache-Control', 'no-store');
  if (ticket === undefined) {
    return response.html(page('Parking garage', html`
<p id="gate">Welcome! Take a ticket to enter. The first ${FREE_MINUTES} minutes are free, then
${money(CENTS_PER_HOUR)} per started hour, at most ${money(MAX_CENTS_PER_DAY)} a day.</p>
<form method="post" action="parking.cgi"><input type="hidden" name="action" value="enter"><button type="submit" id="enter">Take a ticket</button></form>`));
  }
  const minutes = Math.floor((Date.now() - ticket.enteredAt) / 60000);
  response.html(page('Parking garage', html`
<p id="ticket">Ticket <strong>${ticket.number}</strong>: you entered at ${new Date(ticket.enteredAt).toISOString()}
(${minutes} minutes ago). The fee so far is <strong id="fee">${money(fee(ticket, Date.now()))}</strong>.</p>
<form method="post" action="parking.cgi"><input type="hidden" name="action" value="leave"><button type="submit" id="leave">Pay and leave</button></form>
<p class="note">The server remembers nothing about you. Your browser holds the ticket, a cookie:</p>
<pre>${COOKIE}=${raw ?? ''}</pre>
<p class="note">Before the dot is the ticket itself (base64url of JSON: try decoding it); after it is
an HMAC-SHA256 of the ticket under the garage's secret key. Change one character of the time and
the signature no longer matches: the garage refuses the ticket. Reading is allowed, forging is
not. Compare the <a href="counter.cgi">visit counter</a>, where the state stays on the server and
the cookie holds only a random session ID.</p>`));

}

function showReceipt(response: CgiResponse, ticket: Ticket) {
  const now = Date.now();
  response.html(page('Parking garage', html`
<p id="receipt">Ticket <strong>${ticket.number}</strong>: ${Math.floor((now - ticket.enteredAt) / 60000)} minutes.
You pay <strong id="paid">${money(fee(ticket, now))}</strong>. Goodbye!</p>
<p class="note">The ticket cookie was taken back (<code>Max-Age=0</code>).</p>
<p><a href="parking.cgi">Back to the gate</a></p>`));
}

/** The fee: free for the first minutes, then per started hour, capped per started day. */
function fee(ticket: Ticket, now: number): number {
  const minutes = Math.max(0, (now - ticket.enteredAt) / 60000);
  if (minutes <= FREE_MINUTES) return 0;
  const days = Math.floor(minutes / 1440);
  const rest = minutes - days * 1440;
  return days * MAX_CENTS_PER_DAY + Math.min(MAX_CENTS_PER_DAY, Math.ceil(rest / 60) * CENTS_PER_HOUR);
}

function readTicket(value: string | undefined): Ticket | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed = JSON.parse(value) as Partial<Ticket>;
    if (Number.isSafeInteger(parsed.number) && Number.isSafeInteger(parsed.enteredAt) && parsed.enteredAt! <= Date.now()) {
      return { number: parsed.number!, enteredAt: parsed.enteredAt! };
    }
  } catch {
    // A valid signature over something that is not a ticket: treated as a forgery.
  }
  return undefined;
}

function money(cents: number): string {
  return `$${(cents / 100).toFixed(2)}`;
}
