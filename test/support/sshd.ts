/**
 * A real OpenSSH server for tests: `/usr/sbin/sshd` on a free loopback port, with its own config, host
 * key and authorized_keys in a temp dir, for a local test user (created if missing; we run as root).
 * The implementation lives in bench/servers/sshd.ts, shared with the benchmarks.
 *
 *   const sshd = await startSshd();
 *   // sftp://${sshd.user}@${sshd.host}:${sshd.port}${sshd.inboxDir}, key sshd.privateKeyPath,
 *   // hostKeySha256 sshd.hostKeySha256, or password sshd.password
 *   await sshd.stop();
 */
export { findFreePort } from '../../bench/servers/find-free-port.js';
export { startSshd, type SshdOptions, type TestSshd } from '../../bench/servers/sshd.js';
export { mountSmallDisk, type SmallDisk } from '../../bench/servers/small-disk.js';
