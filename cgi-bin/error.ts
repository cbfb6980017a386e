// What a failing script looks like: this one throws on purpose. The visitor gets a "500 Internal
// Server Error" page (in the demos' frame) that reveals nothing about the code; the stack trace
// goes to stderr, which the web server writes to its error log. Set CGI_DEBUG=1 in the script's
// environment (a development server only) and the page shows the details as well.
import { runDemo } from './_layout.js';

runDemo(() => {
  const prices = loadPriceList();
  throw new Error(`unreachable: loaded ${prices.size} prices`);
});

/** Stands in for any operation that fails: a missing file, a database that is down. */
function loadPriceList(): Map<string, number> {
  throw new Error('price list unavailable (error.cgi fails on purpose, to show where errors go)');
}
