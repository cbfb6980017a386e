// A visit counter kept in a session: the cookie holds a random ID, the count stays on the server.
// The reset button is a form that changes the session, so it carries the session's CSRF token.
import { csrfToken, html, openSession, run, verifyCsrf } from 'node-cgi-shim';

run(async (request, response) => {
  const session = await openSession(request, response);
  let visits = Number(session.get('visits') ?? 0) + 1;
  if (request.method === 'POST') {
    await verifyCsrf(request, session, await request.form());
    visits = 0;
  }
  session.set('visits', visits);
  response.html(html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Counter</title></head>
<body><h1>Visits: <span id="visits">${visits}</span></h1>
<form method="post"><input type="hidden" name="_csrf" value="${await csrfToken(session)}"><button>Reset</button></form>
<p><a href="hello.cgi">Back to hello</a></p>
</body></html>
`);
}, { methods: ['GET', 'POST'] });
