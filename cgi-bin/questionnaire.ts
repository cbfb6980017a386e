// The classic session recipe reworked: one question per page, each answer POSTed with
// `question_id` and `answer`, then every question with its answer. The answers live in a locked
// server-side session; the browser holds only a random session ID. Starting (or starting again)
// wipes the answers, so it is a POST with the session's CSRF token too. Questions come from
// questionnaire.txt beside the script (or the file named by CGI_QUESTIONNAIRE_FILE).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  csrfToken, html, HttpError, verifyCsrf, type CgiEnv, type CgiRequest, type CgiResponse, type SafeHtml, type Session,
} from 'node-cgi-shim';
import { runDemo, showPage } from './_layout.js';
import { openDemoSession } from './_wire.js';

interface Progress {
  /** Answers so far, in question order. */
  answers: string[];
  /** Identifies this run of the questionnaire, so a form from an earlier run is recognized. */
  run: string;
}

const KEY = 'questionnaire';
const MAX_ANSWER_CHARS = 500;
/** Why the visitor was sent back to the current question: fixed texts, never echoed input. */
const NOTES: Readonly<Record<string, string>> = {
  'already-answered': 'That question was answered already (a second submit, the back button, or a replayed form). Your first answer stands.',
  skipped: 'Questions come in order: please answer this one first.',
  empty: 'Please type an answer.',
  'too-long': `Please keep your answer under ${MAX_ANSWER_CHARS} characters.`,
  'old-form': 'That form belonged to a questionnaire you have since restarted.',
};

runDemo(async (request, response) => {
  const questions = loadQuestions(request.env);
  const session = await openDemoSession(request, response);
  if (request.method === 'POST') return answer(request, response, session, questions);
  const progress = readProgress(session);
  if (progress === undefined) return startAgain(response, session);
  if (progress.answers.length >= questions.length) return showResults(response, session, questions, progress);
  const note = NOTES[request.query.get('note') ?? ''];
  await askQuestion(response, session, questions, progress, note);
}, { methods: ['GET', 'POST'] });

async function answer(request: CgiRequest, response: CgiResponse, session: Session, questions: string[]) {
  const form = await request.form();
  if (form.fields.get('action') === 'start') {
    await verifyCsrf(request, session, form);
    // A new start mid-way discards the old answers: the visitor asked for a clean slate.
    session.set(KEY, { answers: [], run: randomBytes(6).toString('base64url') } satisfies Progress);
    return response.redirect('questionnaire.cgi', 303);
  }
  const progress = readProgress(session);
  if (progress === undefined) return answerWithoutProgress(response);
  await verifyCsrf(request, session, form);
  const id = form.fields.get('question_id') ?? '';
  if (!/^[0-9]{1,4}$/.test(id) || Number(id) >= questions.length) {
    throw new HttpError(400, 'There is no such question.');
  }
  const text = (form.fields.get('answer') ?? '').trim();
  const question = Number(id);
  const back = (note: string) => response.redirect(`questionnaire.cgi?note=${note}`, 303);
  if (form.fields.get('run') !== progress.run) return back('old-form');
  if (question < progress.answers.length) return back('already-answered');
  if (question > progress.answers.length) return back('skipped');
  if (text === '') return back('empty');
  if ([...text].length > MAX_ANSWER_CHARS) return back('too-long');
  progress.answers.push(text);
  session.set(KEY, progress);
  // Post/Redirect/Get: a reload of the next page does not post this answer again.
  response.redirect('questionnaire.cgi', 303);
}

async function askQuestion(response: CgiResponse, session: Session, questions: string[], progress: Progress, note?: string) {
  const id = progress.answers.length;
  showPage(response, 'Questionnaire', html`
${note ? html`<p class="error" id="note">${note}</p>` : ''}
<form method="post" action="questionnaire.cgi" id="question-form">
<p><label for="answer">Question ${id + 1} of ${questions.length}: <strong id="question">${questions[id]}</strong></label></p>
<input type="hidden" name="question_id" value="${id}">
<input type="hidden" name="run" value="${progress.run}">
<input type="hidden" name="_csrf" value="${await csrfToken(session)}">
<input id="answer" name="answer" maxlength="${MAX_ANSWER_CHARS}" required autofocus>
<button type="submit">Answer</button>
</form>
<p class="note">Your answers so far are kept on the server, in a session file locked while this
request runs. Your browser holds only the session's random ID, in an <code>HttpOnly</code> cookie.
The hidden <code>_csrf</code> field proves this form came from this site.</p>
${await startForm(session, 'Start again')}`);
}

async function showResults(response: CgiResponse, session: Session, questions: string[], progress: Progress) {
  showPage(response, 'Your answers', html`
<dl id="results">
${questions.map((question, i) => html`<dt>${question}</dt><dd>${progress.answers[i]}</dd>\n`)}
</dl>
<p class="note">Whatever you typed is shown escaped: an answer like <code>&lt;script&gt;</code>
prints as text and never runs.</p>
${await startForm(session, 'Start again')}`);
}

async function startAgain(response: CgiResponse, session: Session) {
  showPage(response, 'Questionnaire', html`
<p id="start-again">There is no questionnaire in progress: your session has expired, was never
started, or the cookie your browser sent names no session this server knows.</p>
${await startForm(session, 'Start the questionnaire')}
<p class="note">Starting wipes any answers you gave, so it is a form sent with POST and the
session's CSRF token, not a link: another site can link here, but cannot start (or restart) the
questionnaire for you. The token needs a session, so showing this page made one.</p>`);
}

/**
 * An answer with no questionnaire in progress: a form from an expired session, or one another
 * site posted (a cross-site POST brings no cookie). Answered without making a session, so a
 * response to someone else's form never sets a cookie that would replace the visitor's own.
 */
function answerWithoutProgress(response: CgiResponse) {
  response.status = 409;
  showPage(response, 'Questionnaire', html`
<p id="start-again">There is no questionnaire in progress for this answer: your session has
expired, or the form did not come with your session's cookie (a form posted from another site
never does). Nothing was recorded.</p>
<p><a href="questionnaire.cgi">Go to the questionnaire</a></p>`, {
    story: html`No session came with this form, and none was made for it: this response sets no
cookie, so whatever session your browser holds stays as it was.`,
  });
}

/** The button that starts the questionnaire (again): a POST carrying the CSRF token. */
async function startForm(session: Session, label: string): Promise<SafeHtml> {
  return html`<form method="post" action="questionnaire.cgi" id="start">
<input type="hidden" name="_csrf" value="${await csrfToken(session)}">
<input type="hidden" name="action" value="start">
<button type="submit">${label}</button>
</form>`;
}

function readProgress(session: Session): Progress | undefined {
  const value = session.get(KEY) as Partial<Progress> | undefined;
  if (typeof value !== 'object' || value === null || !Array.isArray(value.answers) || typeof value.run !== 'string') return undefined;
  return { answers: value.answers.filter((a): a is string => typeof a === 'string'), run: value.run };
}

function loadQuestions(env: CgiEnv): string[] {
  const file = env.CGI_QUESTIONNAIRE_FILE || join(dirname(process.argv[1] ?? '.'), 'questionnaire.txt');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`questionnaire: cannot read the questions file ${file}`, { cause: error });
  }
  const questions = text.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
  if (questions.length === 0) throw new Error(`questionnaire: no questions in ${file}`);
  return questions;
}
