// A shopping cart kept in the session: add, change a quantity, remove, empty. The browser sends
// only item ids and quantities; every id is checked against the catalogue, and prices and totals
// are computed on the server, never taken from the client.
import {
  csrfToken, html, HttpError, verifyCsrf, type CgiRequest, type CgiResponse, type Session,
} from 'node-cgi-shim';
import { money, runDemo, showPage } from './_layout.js';
import { openDemoSession } from './_wire.js';

/** The catalogue: prices in cents, so sums are exact. */
const CATALOGUE: Readonly<Record<string, { name: string; cents: number }>> = {
  'ginger-snaps': { name: 'Ginger snaps, box of 12', cents: 450 },
  'oat-cookies': { name: 'Oatmeal cookies, box of 8', cents: 375 },
  shortbread: { name: 'Shortbread tin', cents: 1200 },
  'cookie-cutter': { name: 'Star-shaped cookie cutter', cents: 299 },
};
const MAX_QUANTITY = 99;
const KEY = 'cart';

type Cart = Record<string, number>;

runDemo(async (request, response) => {
  const session = await openDemoSession(request, response);
  if (request.method === 'POST') return changeCart(request, response, session);
  await showCart(response, session);
}, { methods: ['GET', 'POST'] });

async function changeCart(request: CgiRequest, response: CgiResponse, session: Session) {
  const form = await request.form();
  await verifyCsrf(request, session, form);
  const cart = readCart(session);
  const action = form.fields.get('action');
  if (action === 'empty') {
    session.delete(KEY);
  } else {
    const id = form.fields.get('id') ?? '';
    if (!Object.hasOwn(CATALOGUE, id)) throw new HttpError(400, 'There is no such item in the catalogue.');
    if (action === 'add') cart[id] = Math.min(MAX_QUANTITY, (cart[id] ?? 0) + quantity(form.fields.get('quantity') ?? '1', 1));
    else if (action === 'set') cart[id] = quantity(form.fields.get('quantity'), 0);
    else if (action === 'remove') cart[id] = 0;
    else throw new HttpError(400, 'Unknown action.');
    if (cart[id] === 0) delete cart[id];
    session.set(KEY, cart);
  }
  // Post/Redirect/Get: reloading the cart page never repeats the change.
  response.redirect('cart.cgi', 303);
}

async function showCart(response: CgiResponse, session: Session) {
  const cart = readCart(session);
  const token = await csrfToken(session);
  const lines = Object.entries(cart).map(([id, qty]) => ({ id, qty, item: CATALOGUE[id]! }));
  const totalCents = lines.reduce((sum, line) => sum + line.qty * line.item.cents, 0);
  const hidden = html`<input type="hidden" name="_csrf" value="${token}">`;
  showPage(response, 'Shopping cart', html`
<h2>Catalogue</h2>
<table id="catalogue">
${Object.entries(CATALOGUE).map(([id, item]) => html`<tr><td>${item.name}</td><td>${money(item.cents)}</td><td>
<form method="post" action="cart.cgi">${hidden}<input type="hidden" name="action" value="add">
<input type="hidden" name="id" value="${id}"><button type="submit" id="add-${id}">Add</button></form></td></tr>\n`)}
</table>
<h2>Your cart</h2>
${lines.length === 0 ? html`<p id="empty">Your cart is empty.</p>` : html`<table id="cart">
<tr><th>item</th><th>quantity</th><th>price</th><th></th></tr>
${lines.map(({ id, qty, item }) => html`<tr><td>${item.name}</td><td>
<form method="post" action="cart.cgi">${hidden}<input type="hidden" name="action" value="set"><input type="hidden" name="id" value="${id}">
<input name="quantity" type="number" min="0" max="${MAX_QUANTITY}" value="${qty}" aria-label="quantity of ${item.name}"><button type="submit">Change</button></form></td>
<td>${money(qty * item.cents)}</td><td><form method="post" action="cart.cgi">${hidden}<input type="hidden" name="action" value="remove">
<input type="hidden" name="id" value="${id}"><button type="submit">Remove</button></form></td></tr>\n`)}
<tr><th colspan="2">total</th><th id="total">${money(totalCents)}</th><th></th></tr>
</table>
<form method="post" action="cart.cgi">${hidden}<input type="hidden" name="action" value="empty"><button type="submit" id="empty-cart">Empty the cart</button></form>`}
<p class="note">The cart lives in your session on the server: your browser sends only the session
ID and, with each change, an item id and a quantity. Ids are checked against the catalogue and
the prices and the total are computed here, so editing the form cannot change what you pay.</p>`);
}

function readCart(session: Session): Cart {
  const stored = session.get(KEY);
  const cart: Cart = {};
  if (typeof stored !== 'object' || stored === null) return cart;
  for (const [id, qty] of Object.entries(stored)) {
    if (Object.hasOwn(CATALOGUE, id) && Number.isInteger(qty) && qty > 0 && qty <= MAX_QUANTITY) cart[id] = qty;
  }
  return cart;
}

function quantity(value: string | undefined | null, min: number): number {
  if (value === undefined || value === null || !/^[0-9]{1,2}$/.test(value.trim()) || Number(value) < min) {
    throw new HttpError(400, `A quantity is a whole number from ${min} to ${MAX_QUANTITY}.`);
  }
  return Number(value);
}
