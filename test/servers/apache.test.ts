// The server tests through a private Apache 2.4 that includes our apache.conf (see flows.ts).
import test from 'ava';
import { existsSync } from 'node:fs';
import { DEBIAN_SERVE_CGI_BIN, serverVersion, startApache } from '../helpers/servers.js';
import { serverSuite } from './suite.js';

if (serverSuite('apache', startApache)) {
  test('apache: apache.conf also works with mod_cgi and the prefork MPM (its fallback branch)', async (t) => {
    const server = await startApache({ cgiModule: 'cgi' });
    t.teardown(server.stop);
    const response = await fetch(server.url('/cgi-bin/hello.cgi?name=prefork'));
    t.is(response.status, 200);
    t.regex(await response.text(), /Hello, prefork!/);
    t.log(`tested with ${serverVersion('apache')}`);
  });

  test('apache: apache.conf in a <VirtualHost> wins over Debian\'s server-wide serve-cgi-bin.conf', async (t) => {
    t.true(existsSync(DEBIAN_SERVE_CGI_BIN), `${DEBIAN_SERVE_CGI_BIN} comes with Debian's apache2 package`);
    const server = await startApache({ inDebianVirtualHost: true });
    t.teardown(server.stop);
    const response = await fetch(server.url('/cgi-bin/hello.cgi?name=vhost'));
    t.is(response.status, 200);
    t.regex(await response.text(), /Hello, vhost!/);
  });
}
