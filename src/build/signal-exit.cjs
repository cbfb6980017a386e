// Stand-in for signal-exit in the built scripts: proper-lockfile calls it once, at load, to remove
// the locks a process still holds when it ends. signal-exit itself listens on ~20 signals (each
// one a signal handle: two syscalls and a round trip to Node's signal thread to set up, and again
// to take down at exit), a cost every request paid (BENCHMARKS.md). A CGI process is ended by
// SIGTERM (Apache's mod_cgid at its timeout, lighttpd when the client leaves), SIGINT or SIGHUP
// (a terminal); SIGKILL cannot be caught by anyone. So: those three, and a normal exit.
'use strict';

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'];
const callbacks = new Set();
let installed = false;

function runAll(code, signal) {
  for (const callback of [...callbacks]) {
    callbacks.delete(callback);
    callback(code, signal);
  }
}

function onSignal(signal) {
  runAll(null, signal);
  for (const name of SIGNALS) process.removeAllListeners(name);
  // Die of the signal, as the process would have without us (the server sees the same status).
  process.kill(process.pid, signal);
}

function install() {
  installed = true;
  process.on('exit', (code) => runAll(code, null));
  for (const name of SIGNALS) process.on(name, onSignal);
}

/** signal-exit's API: calls `callback(code, signal)` once when the process ends; returns a
 * function that unregisters it. */
module.exports = function onExit(callback) {
  if (typeof callback !== 'function') throw new TypeError('argument callback is invalid: a function is required');
  if (!installed) install();
  callbacks.add(callback);
  return () => callbacks.delete(callback);
};
