// The server tests through a private lighttpd that includes our lighttpd-cgi.conf (see flows.ts).
import { startLighttpd } from '../helpers/servers.js';
import { serverSuite } from './suite.js';

serverSuite('lighttpd', startLighttpd);
