// The server tests through a private Apache 2.4 that includes our apache-proxy-fcgi.conf: each
// built script run as a `cgi-shim fastcgi` daemon behind mod_proxy_fcgi (see flows.ts).
import { startApache } from '../helpers/servers.js';
import { FASTCGI_FLOWS } from './flows.js';
import { serverSuite } from './suite.js';

serverSuite('apache', (options) => startApache({ ...options, mode: 'proxy-fcgi' }), { label: 'apache mod_proxy_fcgi', mode: 'proxy-fcgi', flows: FASTCGI_FLOWS });
