// Posts a demo's forms the way a browser would, running the built script directly: first a GET
// for the form token (its cookie and its field), then the POST with both.
import { cookieValue, runScript, type ScriptRun } from './cgi.js';

/** A form token as a browser holds it: the cookie pair to send, the field to post. */
export interface FormToken {
  cookie: string;
  field: string;
}

/** GETs `script` and returns the token of its forms (the signed double-submit of cgi-bin/_form-token.ts). */
export async function formTokenOf(script: string, env: Record<string, string>): Promise<FormToken> {
  const run = await runScript(script, { env });
  const value = cookieValue(run.response, 'csrf');
  const field = /name="_csrf" value="([^"]+)"/.exec(run.response.text)?.[1];
  if (value === undefined || field === undefined) throw new Error(`${script} gave no form token: ${run.response.text.slice(0, 200)}`);
  return { cookie: `csrf=${value}`, field };
}

/** POSTs `fields` (urlencoded) to `script` with the cookies in `cookie`. */
export function postForm(script: string, env: Record<string, string>, cookie: string, fields: Record<string, string>): Promise<ScriptRun> {
  const body = new URLSearchParams(fields).toString();
  return runScript(script, {
    env: {
      ...env, REQUEST_METHOD: 'POST', HTTP_COOKIE: cookie,
      CONTENT_TYPE: 'application/x-www-form-urlencoded', CONTENT_LENGTH: String(Buffer.byteLength(body)),
    },
    stdin: body,
  });
}
