/**
 * The verifying proxy's indexes (lib/client/proxy.ts): each repository's signed index as last verified,
 * kept on disk (the download, its verified text, the compressed forms made for pkgin) and read from
 * there as it is needed, so that the proxy's memory does not grow with the index. In memory are the
 * verdict and, a few bytes an entry, where in the text each PKGNAME's entry starts.
 *
 * Freshness: a pkg_summary request asks the mirror again, conditionally. An index the mirror reports
 * unchanged is judged again (chain, expiry, rollback state: what time and the keyring change) without
 * being read again, unless it was last read and hashed REVERIFY_MS ago or more. Packages are served on
 * a verdict judged less than REVERIFY_MS ago, not expired, with the keyring it was judged with.
 */
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { PkgkeysError, ioError } from '../errors';
import { alive } from '../fsutil';
import { checkInstalledInForce } from '../keyring/live';
import { loadTrustGraph } from '../keyring/store';
import { MAX_INDEX_BYTES } from '../limits';
import type { RepositoryId } from '../model';
import { type Expected, PACKAGE_VARIABLES, expectedOf, packageFile, pkgnameOf } from '../packages/files';
import { EXTENSIONS, compressFile, compressStream } from '../summary/compress';
import { type Entry, type Sink, parseSummary, readEntries } from '../summary/format';
import type { Policy } from '../trust/policy';
import { type StreamedIndex, type VerifyOptions, recheckIndex, verifyIndexFileStream } from '../verify';
import { ClientState, proofOf } from '../verify/state';
import type { Upstream } from './config';
import { type Validators, fetchInto } from './fetch';
import type { Wanted } from './package-cache';
import { type FormFetch, type Located, findSignedIndex } from './remote-index';

/** What a verified index says of a package: where to fetch it and what it must be, or why it cannot be served. */
export type Listing = Wanted | { error: PkgkeysError };

/** Every package of a verified index, by PKGNAME: what its file must be, or why it has none usable. */
export type IndexPackages = AsyncIterable<readonly [string, Expected | PkgkeysError]>;

export type Extension = keyof typeof EXTENSIONS;

export interface IndexOptions {
  anchors: readonly string[];
  /** The live keyring `pkgkeys update` keeps current: read again whenever it changes. */
  keyring: string;
  /** Where `pkgkeys update` installs it: an expired release there is refused (KEYRING_FROZEN). */
  liveDir: string;
  stateDir: string;
  /** Where indexes are kept: a directory of its own for each proxy running. */
  dir: string;
  policy: Policy;
  /** The time of a request. */
  now: () => Date;
  /** The whole index download. */
  timeoutMs: number;
  /** Called with each newly verified index, before it is served or its packages are; a failure refuses it. */
  beforeServing?: (packages: IndexPackages) => Promise<void>;
  /** Told of each verification: the index read and hashed, or an unchanged one judged again without that. */
  onVerified?: (repository: RepositoryId, how: 'read' | 'rechecked') => void;
}

/** A repository's index as last verified. */
export interface Current {
  located: Located;
  verdict: StreamedIndex;
  text: IndexText;
  /** Identifies the keyring file the index was judged with. */
  keyring: string;
  /** When (by the request clock) it was last read and hashed, and last judged. */
  read: number;
  judged: number;
  /** The time it was last judged at: the clock, never before the floor. */
  judgedAt: number;
}

/** What one verification judges by, and how it records what it accepts (VerifiedIndexes.judgement). */
interface Judgement {
  /** The clock's reading, for ages. */
  now: Date;
  /** What a Current keeps of the judgement: the keyring it was judged with, and when. */
  stamp: Pick<Current, 'keyring' | 'judged' | 'judgedAt'>;
  options: VerifyOptions;
  accept: (verdict: StreamedIndex) => Promise<void>;
}

/** How long a verdict is used before the index is judged again (a certification may expire meanwhile), or read again. */
const REVERIFY_MS = 10 * 60_000;

export class VerifiedIndexes {
  private readonly current = new Map<RepositoryId, Current>();
  /** Index refreshes in flight, per repository: concurrent requests share one. */
  private readonly refreshing = new Map<RepositoryId, Promise<Current>>();
  /** The texts a repository's requests may still be reading: the current one and the one before. */
  private readonly texts = new Map<RepositoryId, IndexText[]>();
  private own = '';
  private made = 0;

  constructor(private readonly options: IndexOptions) {}

  /** This proxy's directory, made; those of proxies that died, removed. */
  async prepare(): Promise<void> {
    const { dir } = this.options;
    await fs.mkdir(dir, { recursive: true, mode: 0o700 }).catch((cause) => {
      throw ioError('cannot create', dir, cause);
    });
    for (const name of await fs.readdir(dir)) {
      const pid = Number(/^(\d+)\./.exec(name)?.[1]);
      if (pid && !alive(pid)) await fs.rm(path.join(dir, name), { recursive: true, force: true });
    }
    this.own = path.join(dir, `${process.pid}.${randomBytes(6).toString('hex')}`);
    await fs.mkdir(this.own, { mode: 0o700 });
  }

  async close(): Promise<void> {
    // A refresh still running would install a text after the others are dropped.
    await Promise.allSettled(this.refreshing.values());
    for (const texts of this.texts.values()) for (const text of texts) await text.drop();
    if (this.own) await fs.rm(this.own, { recursive: true, force: true });
  }

  /**
   * The index verified now (the mirror asked again), as a pkg_summary request needs it; a new text is
   * compressed as `form` while it is verified (the first request's, when requests share a refresh).
   */
  refresh(upstream: Upstream, form?: Extension): Promise<Current> {
    let pending = this.refreshing.get(upstream.repository);
    if (!pending) {
      pending = this.verify(upstream, form).finally(() => this.refreshing.delete(upstream.repository));
      this.refreshing.set(upstream.repository, pending);
    }
    return pending;
  }

  /**
   * The verified index, if it may still be used now; else a fresh one. Besides the index's own expiry
   * and the keyring, time alone ends a key's or a certification's validity: a verdict is not kept long.
   */
  async usable(upstream: Upstream): Promise<Current> {
    const current = this.current.get(upstream.repository);
    const now = this.options.now().getTime();
    // The expiry is judged never before the time it was judged at (the floor then); the age by the clock
    // alone, and a clock set back (a negative age) ends the verdict too.
    const age = current ? now - current.judged : -1;
    const fresh =
      current && Math.max(now, current.judgedAt) < current.verdict.expires.getTime() && age >= 0 && age < REVERIFY_MS;
    if (fresh && current.keyring === (await this.keyringStamp())) return current;
    return this.refresh(upstream);
  }

  private async verify(upstream: Upstream, form: Extension | undefined): Promise<Current> {
    const previous = this.current.get(upstream.repository) ?? null;
    const judge = await this.judgement(upstream);
    const part = path.join(this.own, `${encodeURIComponent(upstream.repository)}.part`);
    try {
      const fetched = await findSignedIndex(
        upstream,
        previous?.located ?? null,
        download(part, this.options.timeoutMs),
      );
      // Unchanged upstream and read lately: judged again now (what time and the keyring change), not read.
      if (fetched === null && judge.now.getTime() - previous!.read < REVERIFY_MS) {
        const verdict = await recheckIndex(previous!.verdict, judge.options);
        await judge.accept(verdict);
        this.options.onVerified?.(upstream.repository, 'rechecked');
        return this.install(upstream, { ...previous!, verdict, ...judge.stamp });
      }
      // Read and hashed: unchanged (the text already written is kept), or new.
      const located = fetched ?? previous!.located;
      const same =
        previous && (fetched === null || fetched.body.sha256 === previous.text.sha256) ? previous.text : null;
      const { verdict, text } = same
        ? await this.readAgain(same, located, judge)
        : await this.readNew(part, fetched!.body.sha256, located, judge, form);
      this.options.onVerified?.(upstream.repository, 'read');
      return this.install(upstream, { located, verdict, text, read: judge.now.getTime(), ...judge.stamp });
    } finally {
      await fs.rm(part, { force: true });
    }
  }

  /** What one verification judges by (the clock, never before the floor; the keyring; the newest index accepted), and how it records what it accepts. */
  private async judgement(upstream: Upstream): Promise<Judgement> {
    const { options } = this;
    const keyring = await this.keyringStamp();
    const state = new ClientState(options.stateDir);
    const clock = await state.clock(options.now());
    await checkInstalledInForce(options.liveDir, clock.now);
    const graph = await loadTrustGraph(options.anchors, options.keyring);
    return {
      now: clock.reads,
      stamp: { keyring, judged: clock.reads.getTime(), judgedAt: clock.now.getTime() },
      options: {
        graph,
        repository: upstream.repository,
        now: clock.now,
        clock,
        policy: options.policy,
        newest: await state.newest(upstream.repository),
      },
      // Recorded before anything of it is served; a newer index accepted meanwhile (another proxy) refuses this one.
      accept: (verdict) => state.acceptIndex(proofOf(upstream.repository, verdict)),
    };
  }

  /** The index whose text is written already, read and hashed again from its download. */
  private async readAgain(
    text: IndexText,
    located: Located,
    judge: Judgement,
  ): Promise<{ verdict: StreamedIndex; text: IndexText }> {
    const verdict = await verifyIndexFileStream(text.raw, located.url, judge.options);
    await judge.accept(verdict);
    return { verdict, text };
  }

  /** A new download (`part`), verified as its text is written apart, and shown to `beforeServing` once accepted. */
  private async readNew(
    part: string,
    sha256: string,
    located: Located,
    judge: Judgement,
    form: Extension | undefined,
  ): Promise<{ verdict: StreamedIndex; text: IndexText }> {
    const dir = path.join(this.own, String(++this.made));
    const writing = await TextWriter.start(dir, part, sha256, located.url, form);
    let verdict: StreamedIndex;
    let text: IndexText;
    try {
      verdict = await verifyIndexFileStream(writing.raw, located.url, {
        ...judge.options,
        text: writing.write,
        entries: writing.entries,
      });
      await judge.accept(verdict);
      text = await writing.finish();
    } catch (error) {
      await writing.discard();
      throw error;
    }
    try {
      await this.options.beforeServing?.(text.packages());
    } catch (error) {
      await text.drop();
      throw error;
    }
    return { verdict, text };
  }

  private install(upstream: Upstream, current: Current): Current {
    this.current.set(upstream.repository, current);
    const texts = this.texts.get(upstream.repository) ?? [];
    if (texts[texts.length - 1] !== current.text) texts.push(current.text);
    for (const old of texts.splice(0, Math.max(texts.length - 2, 0))) void old.drop().catch(() => undefined);
    this.texts.set(upstream.repository, texts);
    return current;
  }

  private async keyringStamp(): Promise<string> {
    const stat = await fs.stat(this.options.keyring).catch((cause) => {
      throw ioError('cannot read the keyring (run pkgkeys update)', this.options.keyring, cause);
    });
    return `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}`;
  }
}

/** One form of the signed index downloaded into `part` (emptied first), with its SHA-256. */
function download(part: string, timeoutMs: number): FormFetch<{ sha256: string }> {
  return async (url: URL, validators: Validators | null) => {
    const handle = await fs
      .open(part, 'w', 0o600)
      .catch((cause) => Promise.reject(ioError('cannot create', part, cause)));
    const hash = createHash('sha256');
    let head = Buffer.alloc(0);
    try {
      const got = await fetchInto({ url, limit: MAX_INDEX_BYTES, timeoutMs, validators }, handle, (chunk) => {
        hash.update(chunk);
        if (head.length < 16) head = Buffer.concat([head, chunk.subarray(0, 16)]);
      });
      return got.notModified
        ? got
        : { notModified: false, body: { sha256: hash.digest('hex') }, head, validators: got.validators };
    } finally {
      await handle.close();
    }
  };
}

/**
 * A verified index's files: `raw` as the mirror served it, `text` as it was signed, and the forms
 * compressed for pkgin, made on first request. Read through `entries` to find a package.
 */
export class IndexText {
  private readonly forms = new Map<Extension, Promise<string | null>>();
  /** Reads in progress, and whether the files are to go once they end. */
  private reading = 0;
  private dropped = false;

  constructor(
    readonly dir: string,
    readonly sha256: string,
    /** Names the index in messages: its URL. */
    readonly source: string,
    private readonly entries: EntryIndex,
    private readonly handle: fs.FileHandle,
  ) {}

  get raw(): string {
    return path.join(this.dir, 'raw');
  }

  get text(): string {
    return path.join(this.dir, 'text');
  }

  /** What the index says of `pkgname`'s package, or undefined when it does not list it. */
  async listing(pkgname: string): Promise<Listing | undefined> {
    this.reading++;
    try {
      // The last entry of that name, as a Map built in the index's order would keep it.
      let found: Entry | undefined;
      for (const [start, end] of this.entries.find(pkgname)) {
        const bytes = Buffer.alloc(end - start);
        const { bytesRead } = await this.handle.read(bytes, 0, bytes.length, start);
        if (bytesRead !== bytes.length) throw ioError('cannot read', this.text, new Error(`short read at ${start}`));
        const entry = parseSummary(bytes, this.source, PACKAGE_VARIABLES)[0];
        if (entry && pkgnameOf(entry) === pkgname) found = entry;
      }
      return found && listingOf(found);
    } finally {
      if (--this.reading === 0 && this.dropped) await this.handle.close();
    }
  }

  /** Every package, read from the text as it goes. */
  async *packages(): IndexPackages {
    for await (const entry of readEntries(
      createReadStream(this.text, { highWaterMark: 1 << 20 }),
      this.source,
      PACKAGE_VARIABLES,
    )) {
      const listing = listingOf(entry);
      yield [pkgnameOf(entry), 'error' in listing ? listing.error : listing.expected] as const;
    }
  }

  /** A form made as the text was written (TextWriter), if it was. */
  made(ext: Extension, file: string | null): void {
    if (file !== null) this.forms.set(ext, Promise.resolve(file));
  }

  /** The text compressed as pkgin asks, made once; null when this machine has no such compressor (pkgin tries its next). */
  compressed(ext: Extension): Promise<string | null> {
    let made = this.forms.get(ext);
    if (!made) {
      const file = path.join(this.dir, `pkg_summary.${ext}`);
      made = compressFile(this.text, `${file}.part`, EXTENSIONS[ext], { fast: true }).then(
        () => fs.rename(`${file}.part`, file).then(() => file),
        (error: unknown) => {
          if (error instanceof PkgkeysError && error.code === 'IO_ERROR' && /cannot run/.test(error.message))
            return null;
          this.forms.delete(ext);
          throw error;
        },
      );
      this.forms.set(ext, made);
    }
    return made;
  }

  /** Its files go; a file already open is read to its end all the same. */
  async drop(): Promise<void> {
    this.dropped = true;
    if (this.reading === 0) await this.handle.close().catch(() => undefined);
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * An index's text written as it is verified: kept only if it verifies. With `form`, the text is also
 * compressed as it is written, in that form (the one the request that asked for the index wants), so
 * that it is ready when the text is verified, not made after.
 */
class TextWriter {
  readonly entries = new EntryIndex();
  private constructor(
    private readonly dir: string,
    private readonly sha256: string,
    private readonly source: string,
    private readonly out: fs.FileHandle,
    private readonly form: FormWriter | null,
  ) {}

  /** A directory for the download `part`, which is moved there. */
  static async start(
    dir: string,
    part: string,
    sha256: string,
    source: string,
    form: Extension | undefined,
  ): Promise<TextWriter> {
    await fs.mkdir(dir, { mode: 0o700 });
    await fs.rename(part, path.join(dir, 'raw'));
    const out = await fs.open(path.join(dir, 'text'), 'w+', 0o600);
    return new TextWriter(dir, sha256, source, out, form ? new FormWriter(dir, form, source) : null);
  }

  get raw(): string {
    return path.join(this.dir, 'raw');
  }

  readonly write = async (pieces: Buffer[]): Promise<void> => {
    await this.out.writev(pieces);
    await this.form?.write(pieces);
  };

  async finish(): Promise<IndexText> {
    this.entries.seal();
    const text = new IndexText(this.dir, this.sha256, this.source, this.entries, this.out);
    if (this.form) text.made(this.form.ext, await this.form.finish());
    return text;
  }

  async discard(): Promise<void> {
    await this.form?.abort();
    await this.out.close().catch(() => undefined);
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}

/** What a form being made may hold of the text not yet compressed: a few chunks, so that it runs beside the verifier. */
const FORM_BACKLOG = 4 << 20;

/**
 * A compressed form of a text made as the text is written (compressStream: beside the verifier, on
 * the thread pool or in the tool's process). A form that fails is no form: it is made again from the
 * text when asked for (IndexText.compressed), which tells why if it fails again.
 */
class FormWriter {
  private readonly input = new PassThrough({ highWaterMark: FORM_BACKLOG });
  private readonly made: Promise<string | null>;
  private failed = false;

  constructor(
    dir: string,
    readonly ext: Extension,
    source: string,
  ) {
    const file = path.join(dir, `pkg_summary.${ext}`);
    const part = `${file}.part`;
    // A compressor that fails destroys `input` with its error: the form fails, never the text's verification.
    this.input.on('error', () => void (this.failed = true));
    this.made = compressStream(this.input, source, part, EXTENSIONS[ext], { fast: true })
      .then(() => fs.rename(part, file))
      .then(
        () => file,
        async () => {
          this.failed = true;
          await fs.rm(part, { force: true });
          return null;
        },
      );
  }

  /**
   * Compresses a copy of `pieces`, which are the caller's again when this returns; waits while the
   * backlog is full, until the compressor has taken some or has failed (then nothing more is kept).
   */
  async write(pieces: Buffer[]): Promise<void> {
    if (this.failed || this.input.write(Buffer.concat(pieces))) return;
    const waiting = new AbortController();
    const drained = once(this.input, 'drain', { signal: waiting.signal }).catch(() => undefined);
    await Promise.race([drained, this.made]).finally(() => waiting.abort());
  }

  /** The form's file, or null if it failed. */
  finish(): Promise<string | null> {
    this.input.end();
    return this.made;
  }

  /** Stops it, the text being refused; settled once its tool or stream has stopped. */
  async abort(): Promise<void> {
    this.input.destroy();
    await this.made;
  }
}

const PKGNAME = Buffer.from('PKGNAME');

/**
 * Where each entry starts in the text, found by a 32-bit hash of its PKGNAME: twelve bytes an entry,
 * whatever the entries hold. Filled from the grammar check's view of the text (every line is a
 * variable or an entry's end), which is exactly the text written.
 */
class EntryIndex implements Sink {
  private starts = new Uint32Array(1024);
  private hashes = new Uint32Array(1024);
  private order = new Uint32Array(0);
  private count = 0;
  /** Where the line being read starts, the entry being read starts, and that entry's PKGNAME hash. */
  private offset = 0;
  private entryStart = 0;
  private hash = 0;

  variable(buf: Buffer, start: number, equals: number, end: number): void {
    if (equals - start === PKGNAME.length && buf.compare(PKGNAME, 0, PKGNAME.length, start, equals) === 0)
      this.hash = fnv1a(buf, equals + 1, end);
    this.offset += end - start + 1;
  }

  entry(): void {
    if (this.count === this.starts.length) {
      this.starts = grow(this.starts);
      this.hashes = grow(this.hashes);
    }
    this.starts[this.count] = this.entryStart;
    this.hashes[this.count++] = this.hash;
    this.offset += 1;
    this.entryStart = this.offset;
  }

  /** At the end of the text: entries ordered by hash, then by their place in the text, for a binary search. */
  seal(): void {
    const { hashes } = this;
    this.order = new Uint32Array(this.count).map((_, i) => i).sort((a, b) => hashes[a]! - hashes[b]! || a - b);
  }

  /** Where the entries that may be `pkgname`'s are, from start to end, in the text's order. */
  *find(pkgname: string): Generator<[number, number]> {
    const { hashes, order, starts } = this;
    const wanted = fnv1a(Buffer.from(pkgname, 'latin1'), 0, pkgname.length);
    let low = 0;
    for (let high = order.length; low < high;) {
      const middle = (low + high) >>> 1;
      if (hashes[order[middle]!]! < wanted) low = middle + 1;
      else high = middle;
    }
    for (let at = low; at < order.length && hashes[order[at]!] === wanted; at++) {
      const i = order[at]!;
      yield [starts[i]!, i + 1 < this.count ? starts[i + 1]! : this.entryStart];
    }
  }
}

const grow = (array: Uint32Array) => {
  const larger = new Uint32Array(array.length * 2);
  larger.set(array);
  return larger;
};

/** FNV-1a, 32 bits. */
function fnv1a(bytes: Uint8Array, start: number, end: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  return hash >>> 0;
}

/** What an entry says of its package's file, or why it cannot be served. */
function listingOf(entry: Entry): Listing {
  try {
    return { file: path.basename(packageFile('/', entry)), expected: expectedOf(entry) };
  } catch (error) {
    if (!(error instanceof PkgkeysError)) throw error;
    return { error };
  }
}
