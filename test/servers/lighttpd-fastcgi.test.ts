// The server tests through a private lighttpd that includes our lighttpd-fastcgi.conf once per
// script: the built scripts as FastCGI applications lighttpd starts itself (see flows.ts).
import { startLighttpd } from '../helpers/servers.js';
import { FASTCGI_FLOWS } from './flows.js';
import { serverSuite } from './suite.js';

serverSuite('lighttpd', (options) => startLighttpd({ ...options, fastcgi: true }), { label: 'lighttpd mod_fastcgi', flows: FASTCGI_FLOWS });
