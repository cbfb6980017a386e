// Log in and log out with a server-side session: passwords checked against scrypt hashes, the
// session ID renewed at log-in (so an ID planted earlier is worthless) and the session destroyed
// at log-out. Users come from login-users.txt beside the script (or CGI_LOGIN_USERS_FILE).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  csrfToken, html, HttpError, verifyCsrf, verifyPassword,
  type CgiEnv, type CgiRequest, type CgiResponse, type SafeHtml, type Session,
} from 'node-cgi-shim';
import { runDemo, showPage } from './_layout.js';
import { openDemoSession, shortId } from './_wire.js';

/** Every failed attempt costs the guesser this long, on top of scrypt's own work. */
const FAILURE_DELAY_MS = 1000;
const USER = 'user';
/** The session ID before log-in, shortened, kept to show that log-in changed it. */
const ID_BEFORE = 'idBeforeLogIn';

runDemo(async (request, response) => {
  const session = await openDemoSession(request, response);
  if (request.method === 'POST') return handlePost(request, response, session);
  const user = loggedInUser(session);
  if (request.query.get('page') === 'members') {
    if (user === undefined) {
      response.status = 401;
      return showLogin(response, session, html`<p class="error" id="error">This page is for members only: log in first.</p>`);
    }
    return showMembers(response, session, user);
  }
  if (user !== undefined) return showWelcome(response, session, user);
  const note = request.query.get('note') === 'logged-out'
    ? html`<p class="note" id="logged-out">You are logged out: the session is gone from the server
and its cookie expired. If the panel below shows a new session, that is for this page's log-in
form: its CSRF token has to live in a session, so a fresh one was made. It holds the token and
nothing else, and knows nothing of who you were.</p>` : '';
  return showLogin(response, session, note);
}, { methods: ['GET', 'POST'] });

async function handlePost(request: CgiRequest, response: CgiResponse, session: Session) {
  const form = await request.form();
  await verifyCsrf(request, session, form);
  const action = form.fields.get('action');
  if (action === 'logout') {
    await session.destroy();
    return response.redirect('login.cgi?note=logged-out', 303);
  }
  if (action !== 'login') throw new HttpError(400, 'Unknown action.');
  const name = (form.fields.get('username') ?? '').trim();
  const password = form.fields.get('password') ?? '';
  const users = loadUsers(request.env);
  const known = Object.hasOwn(users, name) ? users[name] : undefined;
  // An unknown name costs the same scrypt work as a wrong password: timing tells nothing.
  if (!(await verifyPassword(password, known)) || known === undefined) {
    await new Promise((resolve) => setTimeout(resolve, FAILURE_DELAY_MS));
    response.status = 401;
    return showLogin(response, session, html`<p class="error" id="error">Wrong user name or password.</p>`, name);
  }
  // New privileges, new ID: whoever knew the old ID (a fixation attack) knows nothing now.
  const before = session.isNew ? undefined : session.id;
  await session.regenerate();
  session.set(USER, name);
  session.set(ID_BEFORE, before === undefined ? null : shortId(before));
  response.redirect('login.cgi?page=members', 303);
}

async function showLogin(response: CgiResponse, session: Session, message: SafeHtml | string, name = '') {
  showPage(response, 'Log in', html`${message}
<form method="post" action="login.cgi" id="login">
<input type="hidden" name="_csrf" value="${await csrfToken(session)}">
<input type="hidden" name="action" value="login">
<p><label>User name <input name="username" value="${name}" autocomplete="username" required></label></p>
<p><label>Password <input name="password" type="password" autocomplete="current-password" required></label></p>
<button type="submit">Log in</button>
</form>
<p class="note">Demo users: <code>ada</code> with password <code>analytical-engine</code>, and
<code>grace</code> with <code>compiler-1952</code>. The server keeps only scrypt hashes of them.
A wrong name and a wrong password get the same answer, after the same delay, so guessing is slow
and tells nothing about which names exist.</p>`);
}

async function showWelcome(response: CgiResponse, session: Session, user: string) {
  showPage(response, 'Log in', html`
<p id="welcome">You are logged in as <strong>${user}</strong>.</p>
<p><a href="login.cgi?page=members">Go to the members' page</a></p>
${await logoutForm(session)}`);
}

async function showMembers(response: CgiResponse, session: Session, user: string) {
  const before = session.get(ID_BEFORE);
  showPage(response, 'Members only', html`
<p id="members">Welcome to the members' page, <strong>${user}</strong>.</p>
<table id="ids">
<tr><th>session ID before you logged in</th><td id="id-before">${typeof before === 'string' ? before : '(none)'}</td></tr>
<tr><th>session ID now</th><td id="id-after">${shortId(session.id)}</td></tr>
</table>
<p class="note">When you logged in, the server gave your session a new random ID and deleted the
file of the old one, then stored your name under the new ID. Whoever knew the old ID (one planted
in your browser before you logged in, say: <em>session fixation</em>) holds nothing now. Your
browser only holds the ID; every request proves who you are by sending it back.</p>
${await logoutForm(session)}`);
}

async function logoutForm(session: Session) {
  return html`<form method="post" action="login.cgi" id="logout">
<input type="hidden" name="_csrf" value="${await csrfToken(session)}">
<input type="hidden" name="action" value="logout">
<button type="submit">Log out</button>
</form>`;
}

function loggedInUser(session: Session): string | undefined {
  const user = session.get(USER);
  return typeof user === 'string' ? user : undefined;
}

function loadUsers(env: CgiEnv): Record<string, string> {
  const file = env.CGI_LOGIN_USERS_FILE || join(dirname(process.argv[1] ?? '.'), 'login-users.txt');
  const users: Record<string, string> = Object.create(null);
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const at = line.indexOf(':');
    if (line.startsWith('#') || at < 1) continue;
    users[line.slice(0, at)] = line.slice(at + 1).trim();
  }
  return users;
}
