import test from 'ava';
import { readFileSync } from 'node:fs';
import { buildCgiEnv, mergeHeaders, passedThroughEnv, SERVER_SOFTWARE, type HostRequest, type HostScript, type HostServer } from '../../src/host/environment.js';

const REQUEST: HostRequest = {
  method: 'GET',
  target: '/cgi-bin/app.cgi/a%20b/c?x=1&y=%2F',
  httpVersion: '1.1',
  headers: [['Host', 'example.test:8080'], ['Accept', 'text/html'], ['User-Agent', 'ava']],
  remoteAddress: '::ffff:10.0.0.7',
  remotePort: 51234,
};
const SCRIPT: HostScript = { scriptName: '/cgi-bin/app.cgi', scriptFilename: '/srv/cgi-bin/app.cgi', pathInfo: '/a b/c' };
const SERVER: HostServer = { software: 'node-cgi-shim/test', name: '127.0.0.1', address: '127.0.0.1', port: 8080 };

function env(request: Partial<HostRequest> = {}, script: Partial<HostScript> = {}, server: Partial<HostServer> = {}, hostEnv: Record<string, string> = { PATH: '/bin' }) {
  return buildCgiEnv({ ...REQUEST, ...request }, { ...SCRIPT, ...script }, { ...SERVER, ...server }, hostEnv);
}

test('buildCgiEnv sets the RFC 3875 meta-variables of the request', (t) => {
  const result = env();
  t.like(result, {
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_SOFTWARE: 'node-cgi-shim/test',
    SERVER_NAME: 'example.test',
    SERVER_PORT: '8080',
    SERVER_ADDR: '127.0.0.1',
    SERVER_PROTOCOL: 'HTTP/1.1',
    REQUEST_METHOD: 'GET',
    REQUEST_URI: '/cgi-bin/app.cgi/a%20b/c?x=1&y=%2F',
    QUERY_STRING: 'x=1&y=%2F',
    SCRIPT_NAME: '/cgi-bin/app.cgi',
    SCRIPT_FILENAME: '/srv/cgi-bin/app.cgi',
    PATH_INFO: '/a b/c',
    REMOTE_ADDR: '10.0.0.7',
    REMOTE_PORT: '51234',
    HTTP_HOST: 'example.test:8080',
    HTTP_ACCEPT: 'text/html',
    HTTP_USER_AGENT: 'ava',
  });
});

test('buildCgiEnv sets QUERY_STRING empty when there is no query, and no PATH_INFO when there is none', (t) => {
  const result = env({ target: '/cgi-bin/app.cgi' }, { pathInfo: '' });
  t.is(result.QUERY_STRING, '');
  t.false('PATH_INFO' in result);
  t.false('PATH_TRANSLATED' in result);
});

test('buildCgiEnv translates PATH_INFO only against a document root', (t) => {
  t.false('PATH_TRANSLATED' in env());
  t.is(env({}, {}, { documentRoot: '/var/www/' }).PATH_TRANSLATED, '/var/www/a b/c');
});

test('buildCgiEnv inherits only PATH and the runtime settings from the host', (t) => {
  const result = env({}, {}, {}, {
    PATH: '/opt/bin', HOME: '/root', CGI_SECRET: 's3', CGI_SESSION_DIR: '/tmp/s', CGI_DEBUG: '1', HTTP_PROXY: 'http://evil:1', SECRET_TOKEN: 'x',
  });
  t.is(result.PATH, '/opt/bin');
  t.is(result.CGI_SECRET, 's3');
  t.is(result.CGI_SESSION_DIR, '/tmp/s');
  t.is(result.CGI_DEBUG, '1');
  t.false('HOME' in result);
  t.false('HTTP_PROXY' in result);
  t.false('SECRET_TOKEN' in result);
});

test('buildCgiEnv gives a default PATH when the host has none', (t) => {
  t.is(env({}, {}, {}, {}).PATH, '/usr/local/bin:/usr/bin:/bin');
});

test('buildCgiEnv never sets HTTP_PROXY from a Proxy header (httpoxy)', (t) => {
  const result = env({ headers: [['Proxy', 'http://evil.test:3128'], ['Host', 'a']] });
  t.false('HTTP_PROXY' in result);
  t.is(result.HTTP_HOST, 'a');
});

test('buildCgiEnv merges repeated headers, cookies with "; " and others with ", "', (t) => {
  const result = env({ headers: [['Cookie', 'a=1'], ['Accept', 'text/html'], ['cookie', 'b=2'], ['ACCEPT', '*/*']] });
  t.is(result.HTTP_COOKIE, 'a=1; b=2');
  t.is(result.HTTP_ACCEPT, 'text/html, */*');
});

test('buildCgiEnv drops header names with underscores, which could forge another variable', (t) => {
  const result = env({ headers: [['X_Remote_User', 'admin'], ['X-Real-Name', 'ok']] });
  t.false('HTTP_X_REMOTE_USER' in result);
  t.is(result.HTTP_X_REAL_NAME, 'ok');
});

test('buildCgiEnv puts Content-Type and Content-Length in CONTENT_* only, from the body read', (t) => {
  const result = env({
    method: 'POST',
    headers: [['Content-Type', 'application/x-www-form-urlencoded'], ['Transfer-Encoding', 'chunked']],
    bodyBytes: 12,
  });
  t.is(result.CONTENT_TYPE, 'application/x-www-form-urlencoded');
  t.is(result.CONTENT_LENGTH, '12');
  t.false('HTTP_CONTENT_TYPE' in result);
  t.false('HTTP_TRANSFER_ENCODING' in result);
  t.false('HTTP_CONTENT_LENGTH' in result);
});

test('buildCgiEnv sets no CONTENT_LENGTH for a request without a body', (t) => {
  t.false('CONTENT_LENGTH' in env());
  t.false('CONTENT_TYPE' in env());
});

test('buildCgiEnv sets HTTPS only for TLS requests', (t) => {
  t.false('HTTPS' in env());
  t.is(env({ tls: true }).HTTPS, 'on');
});

test('buildCgiEnv falls back to the configured SERVER_NAME for a missing or malformed Host', (t) => {
  t.is(env({ headers: [] }).SERVER_NAME, '127.0.0.1');
  t.is(env({ headers: [['Host', 'evil.test/../x']] }).SERVER_NAME, '127.0.0.1');
  t.is(env({ headers: [['Host', '[::1]:8080']] }).SERVER_NAME, '[::1]');
});

test('buildCgiEnv returns an object without a prototype', (t) => {
  t.is(Object.getPrototypeOf(env()), null);
});

test('mergeHeaders keys by lower-case name', (t) => {
  t.deepEqual([...mergeHeaders([['X-A', '1'], ['x-a', '2'], ['Y', '3']])], [['x-a', '1, 2'], ['y', '3']]);
});

test('passedThroughEnv keeps only the passed-through variables', (t) => {
  t.deepEqual(passedThroughEnv({ PATH: '/bin', HOME: '/root', CGI_DEBUG: '1', HTTP_PROXY: 'x' }, '/srv'), { PATH: '/bin', CGI_DEBUG: '1' });
});

test('passedThroughEnv makes a relative CGI_SESSION_DIR absolute against the folder given', (t) => {
  t.is(passedThroughEnv({ CGI_SESSION_DIR: 'sessions' }, '/srv/app').CGI_SESSION_DIR, '/srv/app/sessions');
  t.is(passedThroughEnv({ CGI_SESSION_DIR: '/var/s' }, '/srv/app').CGI_SESSION_DIR, '/var/s');
});

test('passedThroughEnv leaves an empty CGI_SESSION_DIR empty (unset), not the folder given', (t) => {
  t.is(passedThroughEnv({ CGI_SESSION_DIR: '' }, '/srv/app').CGI_SESSION_DIR, '');
});

test('buildCgiEnv: a Host without a port, no REMOTE_PORT unless known, no HTTP_CONTENT_LENGTH, IPv4-mapped addresses unmapped', (t) => {
  const result = env({ headers: [['Host', 'Example.org'], ['Content-Length', '3']], remotePort: undefined, remoteAddress: '::ffff:192.10.20.30' });
  t.is(result.SERVER_NAME, 'example.org');
  t.is(result.REMOTE_PORT, undefined);
  t.is(result.HTTP_CONTENT_LENGTH, undefined);
  t.is(result.REMOTE_ADDR, '192.10.20.30');
  for (const address of ['x::ffff:1.2.3.4', '::ffff:1.2.3.4x', '::1']) t.is(env({ remoteAddress: address }).REMOTE_ADDR, address);
});

test('buildCgiEnv joins PATH_TRANSLATED without doubled slashes, and names its software', (t) => {
  t.is(env({}, {}, { documentRoot: '/srv/www//' }).PATH_TRANSLATED, '/srv/www/a b/c');
  t.is(SERVER_SOFTWARE, `node-cgi-shim/${JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version}`);
});
