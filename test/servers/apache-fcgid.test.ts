// The server tests through a private Apache 2.4 that includes our apache-fcgid.conf: the built
// scripts as FastCGI applications started by mod_fcgid (see flows.ts).
import { startApache } from '../helpers/servers.js';
import { FASTCGI_FLOWS } from './flows.js';
import { serverSuite } from './suite.js';

serverSuite('apache', (options) => startApache({ ...options, mode: 'fcgid' }), { label: 'apache mod_fcgid', mode: 'fcgid', flows: FASTCGI_FLOWS });
