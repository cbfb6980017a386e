import test from 'ava';
import { fstatSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { fastCgiListenFd, socketState } from '../../../src/adapters/fastcgi/detect.js';
import { bindSocket } from '../../../src/host/fastcgi-daemon.js';
import { tempDir } from '../../helpers/temp-dir.js';

/** The file descriptor of a socket object (node:net keeps it on its handle). */
function fdOf(thing: net.Server | net.Socket): number {
  return (thing as unknown as { _handle: { fd: number } })._handle.fd;
}

test('socketState tells a listening Unix socket from a connected one', async (t) => {
  const dir = await tempDir('cgi-shim-detect-');
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(join(dir, 's.sock'), resolve));
  t.teardown(() => server.close());
  const client = net.connect(join(dir, 's.sock'));
  await new Promise((resolve) => client.once('connect', resolve));
  t.teardown(() => client.destroy());
  t.is(socketState(fstatSync(fdOf(server)).ino), 'listening');
  t.is(socketState(fstatSync(fdOf(client)).ino), 'connected');
});

test('socketState takes a bound Unix socket not listening yet as listening (how cgi-shim fastcgi hands it over)', async (t) => {
  const dir = await tempDir('cgi-shim-detect-');
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const handle = await bindSocket({ path: join(dir, 'b.sock') }, 0o600);
  t.teardown(() => handle.close());
  t.is(socketState(fstatSync(handle.fd).ino), 'listening');
});

test('socketState tells a listening TCP socket from a connected one', async (t) => {
  const server = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await new Promise((resolve) => client.once('connect', resolve));
  t.teardown(() => client.destroy());
  t.is(socketState(fstatSync(fdOf(server)).ino), 'listening');
  t.is(socketState(fstatSync(fdOf(client)).ino), 'connected');
});

test('socketState does not know an inode that is no socket of this network namespace', (t) => {
  t.is(socketState(2 ** 40), 'unknown');
});

test('fastCgiListenFd takes systemd\'s socket (fd 3) only when LISTEN_PID is this process', (t) => {
  t.is(fastCgiListenFd({ LISTEN_PID: String(process.pid), LISTEN_FDS: '1' }), 3);
  // Another process's (inherited by mistake), or several sockets: not ours to serve.
  t.not(fastCgiListenFd({ LISTEN_PID: String(process.pid + 1), LISTEN_FDS: '1' }), 3);
  t.not(fastCgiListenFd({ LISTEN_PID: String(process.pid), LISTEN_FDS: '2' }), 3);
});
