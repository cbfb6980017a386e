// The same data kept two ways: in a signed cookie, as Flask keeps its sessions (the client holds
// the data, the server's HMAC stops it from changing it), and in a server-side session (the
// client holds a random ID, the server holds the data). The page shows what the client can read,
// what it cannot change, and how big each cookie gets.
import {
  createSigner, csrfToken, html, HttpError, serializeCookie, verifyCsrf,
  type CgiRequest, type CgiResponse, type CookieOptions, type Session, type Signer,
} from 'node-cgi-shim';
import { demoCookieOptions, runDemo, showPage } from './_layout.js';
import { openDemoSession } from './_wire.js';

const COOKIE = 'notes';
const KEY = 'notes';
const MAX_NOTE_CHARS = 200;
/** The server session takes this many notes (well inside its 64 KiB); the cookie fills up first. */
const MAX_NOTES = 60;
const NOTES: Readonly<Record<string, string>> = {
  'too-big': 'The signed cookie would pass the 4096 bytes browsers keep of a cookie (they drop a bigger one without a word), so it was not updated. The server session took the note.',
  full: `Both lists are full (${MAX_NOTES} notes): clear them to start again.`,
};

runDemo(async (request, response) => {
  const signer = await createSigner();
  const session = await openDemoSession(request, response);
  const signed = request.cookies[COOKIE];
  const inCookie = readNotes(signer.verify(signed)) ?? [];
  if (request.method === 'POST') {
    const form = await request.form();
    await verifyCsrf(request, session, form);
    const action = form.fields.get('action');
    if (action === 'check') return showCheck(response, signer, form.fields.get('value') ?? '');
    if (action === 'clear') {
      session.delete(KEY);
      response.clearCookie(COOKIE, cookieOptions(request));
      return response.redirect('signed-session.cgi', 303);
    }
    if (action !== 'add') throw new HttpError(400, 'Unknown action.');
    const note = (form.fields.get('note') ?? '').trim();
    if (note === '' || [...note].length > MAX_NOTE_CHARS) throw new HttpError(400, `A note is 1 to ${MAX_NOTE_CHARS} characters.`);
    const onServer = readNotes(session.get(KEY)) ?? [];
    if (onServer.length >= MAX_NOTES) return response.redirect('signed-session.cgi?note=full', 303);
    session.set(KEY, [...onServer, note]);
    const fits = setSignedNotes(request, response, signer, [...inCookie, note]);
    return response.redirect(fits ? 'signed-session.cgi' : 'signed-session.cgi?note=too-big', 303);
  }
  const note = NOTES[request.query.get('note') ?? ''];
  await showBoth(request, response, session, signed, inCookie, note);
}, { methods: ['GET', 'POST'] });

/** Sets the signed cookie to `notes`; false when it would be too big for browsers to keep. */
function setSignedNotes(request: CgiRequest, response: CgiResponse, signer: Signer, notes: string[]): boolean {
  let header: string;
  try {
    header = serializeCookie(COOKIE, signer.sign(JSON.stringify(notes)), cookieOptions(request));
  } catch (error) {
    if (error instanceof TypeError) return false; // Over 4096 bytes: serializeCookie refuses it.
    throw error;
  }
  response.appendHeader('Set-Cookie', header);
  return true;
}

async function showBoth(request: CgiRequest, response: CgiResponse, session: Session, signed: string | undefined, inCookie: string[], note?: string) {
  const token = await csrfToken(session);
  const onServer = readNotes(session.get(KEY)) ?? [];
  const sid = Object.entries(request.cookies).find(([name]) => name === 'sid' || name === '__Host-sid');
  const payload = signed?.split('.')[0] ?? '';
  const readable = Buffer.from(payload, 'base64url').toString();
  // An edited copy, as a client might try: the same signature over different notes.
  const edited = signed === undefined ? '' : `${Buffer.from(JSON.stringify([...inCookie, 'I am the admin'])).toString('base64url')}.${signed.split('.')[1] ?? ''}`;
  const hidden = html`<input type="hidden" name="_csrf" value="${token}">`;
  showPage(response, 'Signed cookie or server session', html`
${note ? html`<p class="error" id="note">${note}</p>` : ''}
<form method="post" action="signed-session.cgi" id="add">${hidden}<input type="hidden" name="action" value="add">
<label>A note <input name="note" maxlength="${MAX_NOTE_CHARS}" required></label> <button type="submit">Keep it both ways</button></form>
<table id="both">
<tr><th></th><th>signed cookie <code>${COOKIE}</code></th><th>server session (cookie <code>sid</code>)</th></tr>
<tr><th>notes</th><td><ol id="cookie-notes">${inCookie.map((n) => html`<li>${n}</li>`)}</ol></td><td><ol id="server-notes">${onServer.map((n) => html`<li>${n}</li>`)}</ol></td></tr>
<tr><th>cookie size</th><td><span id="signed-bytes">${signed === undefined ? 0 : COOKIE.length + 1 + signed.length}</span> bytes, sent with every request to this page</td>
<td><span id="sid-bytes">${sid === undefined ? 0 : sid[0].length + 1 + sid[1].length}</span> bytes, whatever the session holds</td></tr>
<tr><th>the client can read</th><td><pre id="readable">${readable}</pre></td><td>a random ID, nothing else</td></tr>
<tr><th>the client can change</th><td>nothing: an edit breaks the signature. But it can send back an <em>older</em> copy, still signed</td><td>nothing: the only copy is on the server</td></tr>
</table>
${signed === undefined ? '' : html`<h2>Try to change the signed cookie</h2>
<p>Below is your cookie with one note added and the signature left as it was, as a client might
edit it. Send it to the server to check it as if it had come back in the cookie:</p>
<form method="post" action="signed-session.cgi" id="check">${hidden}<input type="hidden" name="action" value="check">
<textarea name="value" rows="4" cols="70" aria-label="a cookie value to check">${edited}</textarea><br>
<button type="submit">Check this value</button></form>`}
<form method="post" action="signed-session.cgi" id="clear">${hidden}<input type="hidden" name="action" value="clear"><button type="submit">Clear both</button></form>
<p class="note">A <strong>signed cookie</strong> (Flask's default session) needs no storage on the
server and no lock, but everything in it is readable by the client (base64url is not
encryption: never put secrets in it), it travels with every request and stops at about 4 KB,
and the server cannot take it back: an old copy stays valid until its signature's key changes
(the <a href="parking.cgi">parking demo</a> shows the replay, and one fix). A <strong>server
session</strong> costs a file and a lock per request, and gives a small, fixed cookie, private
data, and log-outs that end it for good.</p>`, { mark: [COOKIE, 'sid'] });
}

/** The check: does the value pass the signature, and what would the server read from it? */
function showCheck(response: CgiResponse, signer: Signer, value: string) {
  const notes = readNotes(signer.verify(value.trim()));
  showPage(response, 'Signed cookie or server session', html`
${notes === undefined
    ? html`<p class="error" id="check-result">Refused: the signature does not match the value. The server
would treat this cookie as absent. Only the holder of the secret key can make a signature that
fits a changed value.</p>`
    : html`<p class="note" id="check-result">Accepted: the signature fits. The server would read
${notes.length} note(s) from it. (Unchanged, or an older copy of your cookie: a signature cannot tell.)</p>`}
<p><a href="signed-session.cgi">Back to both lists</a></p>`, {
    story: html`Checking a value changes nothing, so no cookie is set and the session stays as it was.`,
  });
}

function cookieOptions(request: CgiRequest): CookieOptions {
  return { ...demoCookieOptions(request), path: '/cgi-bin/signed-session.cgi' };
}

function readNotes(value: unknown): string[] | undefined {
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  return Array.isArray(parsed) && parsed.every((n) => typeof n === 'string') ? parsed : undefined;
}
