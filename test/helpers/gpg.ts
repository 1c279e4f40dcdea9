/**
 * GnuPG 2.2 as a peer in interop tests: each `GpgHome` is a throw-away GNUPGHOME (mkdtemp, mode 0700)
 * whose clock is frozen with --faked-system-time, so every key and signature it makes has a fixed date.
 * Dialogues (--edit-key, --gen-revoke) are driven through --command-fd/--status-fd: each prompt gpg asks
 * is answered from a queue named after its status keyword, and a prompt nobody expected is an error,
 * so a changed dialogue fails loudly instead of answering the wrong question.
 *
 * Recipes from /tmp/gpgpeer/FINDINGS.md (gpg 2.2.40): `save` must be sent or --batch quits without
 * saving; `key 1` is one command; --gen-revoke refuses --batch (use --no-tty); the gen-revoke menu
 * numbers are not the wire codes (1 = compromised 0x02, 2 = superseded 0x01); SHA-1 certifications
 * need --allow-weak-key-signatures.
 */
import { execFile, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { missing } from './peer';

export const SCOPE = (glob: string) => `pkgsrc-scope@pkgsrc.org=${glob}`;

/** `2025-02-01T00:00:00Z` → `20250201T000000!` (frozen clock, UTC). */
export function fakedTime(at: Date): string {
  return `${at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, '')}!`;
}

export const unix = (d: Date) => Math.floor(d.getTime() / 1000);
/** The 64-bit key ID of a v4 fingerprint. */
export const keyIDOf = (fingerprint: string) => fingerprint.slice(-16).toUpperCase();

export interface GpgResult {
  status: number;
  stdout: Buffer;
  stderr: string;
}

export interface GpgOptions {
  /** Frozen clock for this run (all timestamps gpg writes). */
  at?: Date;
  /** Data on standard input. */
  input?: string | Buffer;
  /** --batch (default) or --no-tty only (--gen-revoke). */
  batch?: boolean;
  /** Do not throw on a non-zero exit status. */
  allowFailure?: boolean;
}

/** Record fields of `--with-colons` output (1-based field N is `fields[N - 1]`). */
export type ColonRecord = string[];

export function colonRecords(text: string): ColonRecord[] {
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split(':'));
}

const GPG_TIMEOUT_MS = 20_000;

export class GpgHome {
  private constructor(readonly dir: string) {}

  static async create(prefix = 'pkgkeys-gpg-'): Promise<GpgHome> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
    await fs.chmod(dir, 0o700);
    return new GpgHome(dir);
  }

  /** Stops this home's gpg-agent and removes the directory. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      execFile('gpgconf', ['--kill', 'gpg-agent'], { env: this.env(), timeout: GPG_TIMEOUT_MS }, () => resolve());
    });
    await fs.rm(this.dir, { recursive: true, force: true });
  }

  private env(): NodeJS.ProcessEnv {
    return { PATH: process.env.PATH, HOME: this.dir, GNUPGHOME: this.dir, LC_ALL: 'C', TZ: 'UTC' };
  }

  private prefix(options: GpgOptions): string[] {
    const args = options.batch === false ? ['--no-tty'] : ['--batch', '--no-tty'];
    args.push('--pinentry-mode', 'loopback', '--passphrase', '', '--no-auto-check-trustdb', '--no-permission-warning');
    if (options.at) args.push('--faked-system-time', fakedTime(options.at));
    return args;
  }

  /** One gpg run without a dialogue. */
  gpg(args: string[], options: GpgOptions = {}): Promise<GpgResult> {
    const argv = [...this.prefix(options), ...args];
    return new Promise((resolve, reject) => {
      const child = execFile(
        'gpg',
        argv,
        { env: this.env(), encoding: 'buffer', maxBuffer: 64 << 20, timeout: GPG_TIMEOUT_MS },
        (error, stdout, stderr) => {
          if ((error as NodeJS.ErrnoException | null)?.code === 'ENOENT') return reject(missing('gpg'));
          const status = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
          const result = { status, stdout, stderr: stderr.toString('utf8') };
          if (status !== 0 && !options.allowFailure)
            reject(new Error(`gpg ${argv.join(' ')} exited ${status}:\n${result.stderr}`));
          else resolve(result);
        },
      );
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(options.input ?? '');
    });
  }

  /**
   * A gpg dialogue: `answers` maps status keywords (`keyedit.prompt`, `sign_uid.okay`, ...) to the
   * answers to give, in order. Every answer must be used, and no other prompt may come.
   */
  dialog(
    args: string[],
    answers: Record<string, string[]>,
    options: Omit<GpgOptions, 'input'> = {},
  ): Promise<GpgResult & { transcript: string[] }> {
    const argv = [...this.prefix(options), '--command-fd', '0', '--status-fd', '3', ...args];
    const queues = new Map(Object.entries(answers).map(([k, v]) => [k, [...v]]));
    const transcript: string[] = [];
    return new Promise((resolve, reject) => {
      // spawn rather than execFile: the status lines come on a fourth descriptor (fd 3).
      const child = spawn('gpg', argv, { env: this.env(), stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
      const stdout: Buffer[] = [];
      let stderr = '';
      let problem: string | null = null;
      let pending = '';
      const timer = setTimeout(() => ((problem ??= 'timed out'), child.kill('SIGKILL')), GPG_TIMEOUT_MS);
      child.stdout!.on('data', (d: Buffer) => stdout.push(d));
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
      child.stdin!.on('error', () => undefined);
      const statusStream = child.stdio[3] as NodeJS.ReadableStream;
      statusStream.on('data', (d: Buffer) => {
        pending += d.toString('utf8');
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          const m = /^\[GNUPG:\] (GET_LINE|GET_BOOL|GET_HIDDEN) (\S+)/.exec(line);
          if (!m) continue;
          const keyword = m[2]!;
          const answer = queues.get(keyword)?.shift();
          if (answer === undefined) {
            problem ??= `unexpected prompt ${keyword} after ${JSON.stringify(transcript)}`;
            child.kill('SIGKILL');
            return;
          }
          transcript.push(`${keyword}=${answer}`);
          child.stdin!.write(`${answer}\n`);
        }
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        const left = [...queues].filter(([, q]) => q.length > 0);
        if (!problem && left.length > 0)
          problem = `answers not used: ${JSON.stringify(left)} (transcript ${JSON.stringify(transcript)})`;
        if (!problem && code !== 0) problem = `exited ${code}`;
        if (problem) reject(new Error(`gpg ${argv.join(' ')}: ${problem}\n${stderr}`));
        else resolve({ status: code ?? -1, stdout: Buffer.concat(stdout), stderr, transcript });
      });
    });
  }

  // ----------------------------------------------------------------- keys ---

  /**
   * `--quick-gen-key UID ALGO sign never` at `at`; returns the primary fingerprint. Keys are made by
   * gpg here, not taken from test/fixtures: what gpg makes is what these tests read (an RSA key takes
   * gpg a second or two; the tests make three).
   */
  async genKey(userID: string, algo: string, at: Date): Promise<string> {
    await this.gpg(['--quick-gen-key', userID, algo, 'sign', 'never'], { at });
    const email = /<[^>]+>/.exec(userID)![0];
    return (await this.fingerprints(email)).primary;
  }

  /** Primary and subkey fingerprints, from `--with-colons --fingerprint`. */
  async fingerprints(who: string): Promise<{ primary: string; subkeys: string[] }> {
    const { stdout } = await this.gpg(['--with-colons', '--fingerprint', '--fingerprint', '--', who]);
    const records = colonRecords(stdout.toString('utf8'));
    let primary: string | null = null;
    const subkeys: string[] = [];
    let last = '';
    for (const r of records) {
      if (r[0] === 'pub' || r[0] === 'sub') last = r[0];
      else if (r[0] === 'fpr') {
        if (last === 'pub' && primary === null) primary = r[9]!;
        else if (last === 'sub') subkeys.push(r[9]!);
        last = '';
      }
    }
    if (primary === null) throw new Error(`no key ${who} in ${this.dir}`);
    return { primary, subkeys };
  }

  /** `--quick-add-key FPR ALGO sign never`; returns the new subkey's fingerprint. */
  async addSigningSubkey(fingerprint: string, algo: string, at: Date): Promise<string> {
    const before = (await this.fingerprints(fingerprint)).subkeys;
    await this.gpg(['--quick-add-key', fingerprint, algo, 'sign', 'never'], { at });
    const added = (await this.fingerprints(fingerprint)).subkeys.filter((s) => !before.includes(s));
    if (added.length !== 1) throw new Error(`expected one new subkey, found ${added.length}`);
    return added[0]!;
  }

  // ------------------------------------------------------- certifications ---

  /** `--quick-sign-key` by `signer`, with scope notations, an optional expiry (`1y`, `30d`) and extra options. */
  async certify(
    signer: string,
    target: string,
    options: { at: Date; scopes?: string[]; expire?: string; extra?: string[] },
  ): Promise<void> {
    const args = ['-u', signer];
    if (options.expire) args.push('--default-cert-expire', options.expire);
    for (const s of options.scopes ?? []) args.push('--cert-notation', SCOPE(s));
    args.push(...(options.extra ?? []), '--quick-sign-key', target);
    await this.gpg(args, { at: options.at });
  }

  /** `--edit-key TARGET tsign save`: full trust (120), `depth`, optional domain restriction (regex), scope notations. */
  async tsign(
    signer: string,
    target: string,
    options: { at: Date; scopes: string[]; depth?: number; domain?: string },
  ): Promise<string[]> {
    const args = ['-u', signer];
    for (const s of options.scopes) args.push('--cert-notation', SCOPE(s));
    const { transcript } = await this.dialog(
      [...args, '--edit-key', target],
      {
        'keyedit.prompt': ['tsign', 'save'],
        'trustsig_prompt.trust_value': ['2'],
        'trustsig_prompt.trust_depth': [String(options.depth ?? 1)],
        'trustsig_prompt.trust_regexp': [options.domain ?? ''],
        'sign_uid.okay': ['y'],
      },
      { at: options.at },
    );
    return transcript;
  }

  /**
   * `--edit-key TARGET revsig save` by `signer`. `offered` lists, in keyblock order, whether to revoke each
   * signature gpg offers (it offers every signature whose secret key is in this home).
   */
  async revsig(
    signer: string,
    target: string,
    options: { at: Date; offered: boolean[]; reasonCode?: string; text?: string },
  ): Promise<string[]> {
    const { transcript } = await this.dialog(
      ['-u', signer, '--edit-key', target],
      {
        'keyedit.prompt': ['revsig', 'save'],
        'ask_revoke_sig.one': options.offered.map((b) => (b ? 'y' : 'n')),
        'ask_revoke_sig.okay': ['y'],
        'ask_revocation_reason.code': [options.reasonCode ?? '0'],
        'ask_revocation_reason.text': [...(options.text ? [options.text] : []), ''],
        'ask_revocation_reason.okay': ['y'],
      },
      { at: options.at },
    );
    return transcript;
  }

  /** `--edit-key KEY` `key N` `revkey` `save`: revokes subkey N (menu reason 0 = no reason). */
  async revokeSubkey(
    fingerprint: string,
    index: number,
    options: { at: Date; menuReason?: string; text?: string },
  ): Promise<string[]> {
    const { transcript } = await this.dialog(
      ['--edit-key', fingerprint],
      {
        'keyedit.prompt': [`key ${index}`, 'revkey', 'save'],
        'keyedit.revoke.subkey.okay': ['y'],
        'ask_revocation_reason.code': [options.menuReason ?? '0'],
        'ask_revocation_reason.text': [...(options.text ? [options.text] : []), ''],
        'ask_revocation_reason.okay': ['y'],
      },
      { at: options.at },
    );
    return transcript;
  }

  /**
   * `--gen-revoke` (no --batch: gpg refuses it). Menu: 0 no reason, 1 compromised (0x02),
   * 2 superseded (0x01), 3 no longer used (0x03). Returns the armored revocation certificate.
   */
  async genRevoke(
    fingerprint: string,
    reason: 'none' | 'compromised' | 'superseded' | 'retired',
    options: { at: Date; text?: string },
  ): Promise<string> {
    const menu = { none: '0', compromised: '1', superseded: '2', retired: '3' }[reason];
    const { stdout } = await this.dialog(
      ['--armor', '--gen-revoke', fingerprint],
      {
        'gen_revoke.okay': ['y'],
        'ask_revocation_reason.code': [menu],
        'ask_revocation_reason.text': [...(options.text ? [options.text] : []), ''],
        'ask_revocation_reason.okay': ['y'],
      },
      { at: options.at, batch: false },
    );
    const text = stdout.toString('utf8');
    const begin = text.indexOf('-----BEGIN PGP PUBLIC KEY BLOCK-----');
    if (begin < 0) throw new Error(`--gen-revoke wrote no revocation certificate:\n${text}`);
    return text.slice(begin);
  }

  /** `--edit-key KEY addrevoker REVOKER save`: a direct-key self-signature naming REVOKER (subpacket 12). */
  async addRevoker(fingerprint: string, revoker: string, options: { at: Date }): Promise<string[]> {
    const { transcript } = await this.dialog(
      ['--edit-key', fingerprint],
      {
        'keyedit.prompt': ['addrevoker', 'save'],
        'keyedit.add_revoker': [revoker],
        'keyedit.add_revoker.okay': ['y'],
      },
      { at: options.at },
    );
    return transcript;
  }

  /**
   * `--desig-revoke KEY` by its designated revoker (whose secret key is in this home), menu reasons as
   * for `genRevoke`. Returns what gpg writes: the key with the revocation (0x20 by the revoker).
   */
  async desigRevoke(
    fingerprint: string,
    reason: 'none' | 'compromised' | 'superseded' | 'retired',
    options: { at: Date },
  ): Promise<string> {
    const menu = { none: '0', compromised: '1', superseded: '2', retired: '3' }[reason];
    const { stdout } = await this.dialog(
      ['--armor', '--desig-revoke', fingerprint],
      {
        'gen_desig_revoke.okay': ['y'],
        'ask_revocation_reason.code': [menu],
        'ask_revocation_reason.text': [''],
        'ask_revocation_reason.okay': ['y'],
      },
      { at: options.at, batch: false },
    );
    return stdout.toString('utf8');
  }

  // ------------------------------------------------------ import / export ---

  async import(data: string | Buffer, options: { at?: Date } = {}): Promise<void> {
    await this.gpg(['--import'], { ...options, input: data });
  }

  /** `gpg --export` (binary) of the given keys. */
  async export(...who: string[]): Promise<Buffer> {
    const { stdout } = await this.gpg(['--export', ...who]);
    if (stdout.length === 0) throw new Error(`gpg --export ${who.join(' ')} exported nothing`);
    return stdout;
  }

  async exportArmored(...who: string[]): Promise<string> {
    const { stdout } = await this.gpg(['--export', '--armor', ...who]);
    return stdout.toString('utf8');
  }

  async listPackets(data: string | Buffer): Promise<string> {
    return (await this.gpg(['--list-packets'], { input: data })).stdout.toString('utf8');
  }

  /** `--detach-sign` of `data` by `who` (binary), as pkg_admin gpg-sign-package has gpg make +PKG_GPG_SIGNATURE. */
  async detachSign(who: string, data: Buffer, options: { at?: Date; armor?: boolean } = {}): Promise<Buffer> {
    return (
      await this.gpg(['--local-user', who, ...(options.armor ? ['--armor'] : []), '--detach-sign', '--output', '-'], {
        at: options.at,
        input: data,
      })
    ).stdout;
  }

  /** `--with-colons --check-sigs` of one key, judged at `at`. */
  async checkSigs(who: string, options: { at?: Date; extra?: string[] } = {}): Promise<ColonRecord[]> {
    const { stdout } = await this.gpg(['--with-colons', ...(options.extra ?? []), '--check-sigs', '--', who], {
      at: options.at,
    });
    return colonRecords(stdout.toString('utf8'));
  }
}
