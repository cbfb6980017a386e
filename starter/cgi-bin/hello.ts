// A form: GET shows it, POST reads the name typed into it and greets.
import { html, run } from 'node-cgi-shim';

run(async (request, response) => {
  let name = request.query.get('name') ?? '';
  if (request.method === 'POST') {
    const form = await request.form();
    name = form.fields.get('name') ?? '';
  }
  response.html(html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hello</title></head>
<body><h1>Hello, ${name || 'world'}!</h1>
<form method="post"><label>Your name <input name="name" value="${name}"></label> <button>Greet me</button></form>
<p><a href="counter.cgi">A visit counter</a> keeps its count in a session.</p>
</body></html>
`);
}, { methods: ['GET', 'POST'] });
