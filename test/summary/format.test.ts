import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import {
  Entry,
  SummaryLines,
  checkSummary,
  formatEntry,
  formatSummary,
  parseSummary,
  readEntries,
  setValue,
  value,
  values,
  writeEntries,
} from '../../lib/summary/format';
import { caught } from '../helpers/caught';

// Three entries: multi-line DESCRIPTION and DEPENDS (one of them apart from the others), an unknown
// variable, empty values, and DESCRIPTION bytes that are latin1 and not valid UTF-8.
const SAMPLE = Buffer.from(
  [
    'CONFLICTS=foo-[0-9]*',
    'DEPENDS=perl>=5.38',
    'DEPENDS=gettext-lib>=0.22',
    'COMMENT=Caf\xe9 tools',
    'DEPENDS=zlib>=1.3',
    'DESCRIPTION=First line.',
    'DESCRIPTION=',
    'DESCRIPTION=Bytes \xff\x80\xe9 that are not UTF-8.',
    'PKGNAME=cafe-tools-1.0nb2',
    'X_LOCAL_NOTE=kept = verbatim',
    'FILE_SIZE=12345',
    '',
    'PKGNAME=empty-0',
    'COMMENT=',
    '',
    'PKGPATH=devel/last',
    'PKGNAME=last-2.1',
    'FILE_CKSUM=sha256 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    '',
    '',
  ].join('\n'),
  'latin1',
);

const text = (s: string) => Buffer.from(s, 'latin1');

async function* chunked(data: Uint8Array, sizes: number[]): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (const size of sizes) {
    yield data.subarray(at, at + size);
    at += size;
  }
  if (at < data.length) yield data.subarray(at);
}

async function collect(chunks: AsyncIterable<Uint8Array>, source = 'stream'): Promise<Entry[]> {
  const entries: Entry[] = [];
  for await (const entry of readEntries(chunks, source)) entries.push(entry);
  return entries;
}

describe('parseSummary', () => {
  it('keeps every variable, in file order, one per line', () => {
    const entries = parseSummary(SAMPLE, 'sample');
    expect(entries).toHaveLength(3);
    expect(entries[0].variables.map((v) => v.name)).toEqual([
      'CONFLICTS',
      'DEPENDS',
      'DEPENDS',
      'COMMENT',
      'DEPENDS',
      'DESCRIPTION',
      'DESCRIPTION',
      'DESCRIPTION',
      'PKGNAME',
      'X_LOCAL_NOTE',
      'FILE_SIZE',
    ]);
    expect(values(entries[0], 'DEPENDS')).toEqual(['perl>=5.38', 'gettext-lib>=0.22', 'zlib>=1.3']);
    expect(values(entries[0], 'DESCRIPTION')).toEqual(['First line.', '', 'Bytes \xff\x80\xe9 that are not UTF-8.']);
    expect(value(entries[0], 'X_LOCAL_NOTE')).toBe('kept = verbatim');
    expect(value(entries[0], 'COMMENT')).toBe('Caf\xe9 tools');
    expect(value(entries[1], 'COMMENT')).toBe('');
    expect(value(entries[1], 'DEPENDS')).toBeUndefined();
    expect(values(entries[1], 'DEPENDS')).toEqual([]);
    expect(entries.map((e) => value(e, 'PKGNAME'))).toEqual(['cafe-tools-1.0nb2', 'empty-0', 'last-2.1']);
  });

  it('returns the first occurrence from value()', () => {
    expect(value(parseSummary(SAMPLE, 'sample')[0], 'DEPENDS')).toBe('perl>=5.38');
  });

  it('reads an empty file as a summary with no entries', async () => {
    expect(parseSummary(new Uint8Array(0), 'empty')).toEqual([]);
    expect(checkSummary(new Uint8Array(0), 'empty')).toBe(0);
    expect(await collect(chunked(new Uint8Array(0), []))).toEqual([]);
  });

  it('accepts a Uint8Array that is a window on a larger buffer', () => {
    const padded = Buffer.concat([text('JUNK'), SAMPLE, text('JUNK')]);
    const view = new Uint8Array(padded.buffer, padded.byteOffset + 4, SAMPLE.length);
    expect(parseSummary(view, 'view')).toEqual(parseSummary(SAMPLE, 'sample'));
    expect(checkSummary(view, 'view')).toBe(3);
  });
});

describe('round trip', () => {
  it('writes back the very bytes it read', () => {
    const entries = parseSummary(SAMPLE, 'sample');
    expect(Buffer.from(formatSummary(entries), 'latin1').equals(SAMPLE)).toBe(true);
  });

  it('writes each entry followed by one empty line', () => {
    const entries = parseSummary(SAMPLE, 'sample');
    expect(formatEntry(entries[1])).toBe('PKGNAME=empty-0\nCOMMENT=\n\n');
    expect(entries.map(formatEntry).join('')).toBe(SAMPLE.toString('latin1'));
  });

  it('writes nothing for no entries', () => {
    expect(formatSummary([])).toBe('');
  });
});

describe('malformed summaries', () => {
  // [what, text, line the error names, words the message must hold]
  const cases: [string, string, number, string][] = [
    ['a line without "="', 'PKGNAME=a-1\nJUNK\n\n', 2, 'without "="'],
    ['a lower-case name', 'PKGNAME=a-1\npkgpath=devel/a\n\n', 2, 'found "pkgpath"'],
    ['a name starting with a digit', 'PKGNAME=a-1\n1ABC=x\n\n', 2, 'found "1ABC"'],
    ['an empty name', 'PKGNAME=a-1\n=x\n\n', 2, 'found ""'],
    ['a space in a name', 'PKGNAME=a-1\nFILE SIZE=1\n\n', 2, 'found "FILE SIZE"'],
    ['a carriage return ending a line', 'PKGNAME=a-1\r\n\n', 1, 'carriage return'],
    ['a carriage return in a value', 'PKGNAME=a-1\nCOMMENT=x\ry\n\n', 2, 'carriage return'],
    ['a NUL byte', 'PKGNAME=a-1\n\nPKGNAME=b\x00-1\n\n', 3, 'NUL'],
    ['a NUL byte on the last, unterminated line', 'PKGNAME=a-1\n\nPKGNAME=b\x00', 3, 'NUL'],
    ['two empty lines between entries', 'PKGNAME=a-1\n\n\nPKGNAME=b-1\n\n', 3, 'second empty line'],
    ['two empty lines at the end', 'PKGNAME=a-1\nCOMMENT=x\n\n\n', 4, 'second empty line'],
    ['a leading empty line', '\nPKGNAME=a-1\n\n', 1, 'start of the file'],
    ['a lone newline', '\n', 1, 'start of the file'],
    ['no final empty line', 'PKGNAME=a-1\n', 2, 'found the end of the file'],
    ['a truncated second entry', 'PKGNAME=a-1\n\nPKGNAME=b-1\nCOMMENT=x\n', 5, 'expected an empty line'],
    ['no final newline', 'PKGNAME=a-1\nCOMMENT=cut sho', 2, 'expected a newline ending "COMMENT=cut sho"'],
    ['an entry without PKGNAME', 'PKGNAME=a-1\n\nCOMMENT=x\nPKGPATH=devel/b\n\n', 3, 'lines 3-4, found none'],
    ['a PKGNAME look-alike only', 'PKGNAMES=a-1\nPKGPATH=devel/a\n\n', 1, 'found none'],
    ['two PKGNAMEs', 'PKGNAME=a-1\nCOMMENT=x\nPKGNAME=b-1\n\n', 3, 'the first is on line 1'],
    ['the first of several faults', 'PKGNAME=a-1\nbad\nCOMMENT=\r\n\n', 2, 'without "="'],
  ];

  it.each(cases)('refuses %s, naming the line', async (_what, body, line, words) => {
    const data = text(body);
    const error = await caught(() => parseSummary(data, 'pkg_summary'));
    expect(error.code).toBe('SUMMARY_MALFORMED');
    expect(error.message.startsWith(`pkg_summary:${line}: expected `)).toBe(true);
    expect(error.message).toContain(words);
    // The fast check and the streaming reader say exactly the same, however the bytes arrive.
    expect((await caught(() => checkSummary(data, 'pkg_summary'))).message).toBe(error.message);
    expect((await caught(() => collect(chunked(data, []), 'pkg_summary'))).message).toBe(error.message);
    expect((await caught(() => collect(chunked(data, Array(data.length).fill(1)), 'pkg_summary'))).message).toBe(
      error.message,
    );
  });
});

describe('readEntries', () => {
  const whole = parseSummary(SAMPLE, 'sample');

  it('gives the same entries wherever the chunks are split', async () => {
    for (let at = 0; at <= SAMPLE.length; at++) {
      expect(await collect(chunked(SAMPLE, [at]))).toEqual(whole);
    }
  });

  it('gives the same entries from one-byte chunks, from splits between the two newlines, and from empty chunks', async () => {
    expect(await collect(chunked(SAMPLE, Array(SAMPLE.length).fill(1)))).toEqual(whole);
    const blank = SAMPLE.indexOf('\n\n') + 1;
    expect(await collect(chunked(SAMPLE, [blank, 0, 1, 0]))).toEqual(whole);
    expect(await collect(chunked(SAMPLE, [blank - 3, 2, 1, 1]))).toEqual(whole);
  });

  it('copes with a producer that reuses its buffer', async () => {
    async function* reused(size: number): AsyncGenerator<Uint8Array> {
      const buffer = new Uint8Array(size);
      for (let at = 0; at < SAMPLE.length; at += size) {
        const piece = SAMPLE.subarray(at, at + size);
        buffer.fill(0x21).set(piece);
        yield buffer.subarray(0, piece.length);
      }
    }
    for (let size = 1; size <= 64; size++) expect(await collect(reused(size))).toEqual(whole);
  });

  it('yields an entry before it has read the rest of the file', async () => {
    let read = 0;
    async function* counted(): AsyncGenerator<Uint8Array> {
      for (let at = 0; at < SAMPLE.length; at += 16) {
        read = at + 16;
        yield SAMPLE.subarray(at, at + 16);
      }
    }
    const reader = readEntries(counted(), 'sample');
    const first = await reader.next();
    expect(first.value).toEqual(whole[0]);
    expect(read).toBeLessThan(SAMPLE.indexOf('PKGNAME=empty-0') + 32);
    await reader.return(undefined);
  });
});

describe('checkSummary', () => {
  it('counts the entries parseSummary finds', () => {
    const many = formatSummary(
      Array.from({ length: 500 }, (_, i) => ({
        variables: [
          { name: 'PKGNAME', value: `p${i}-1.0` },
          ...Array.from({ length: i % 7 }, () => ({ name: 'DESCRIPTION', value: 'x\xe9' })),
        ],
      })),
    );
    for (const data of [SAMPLE, text(many)]) {
      expect(checkSummary(data, 'count')).toBe(parseSummary(data, 'count').length);
    }
    expect(checkSummary(text(many), 'count')).toBe(500);
  });
});

/** The lines of `data` told to `lines` one by one, from `data` itself or (`apart`) each from a buffer of its own. */
function tell(lines: SummaryLines, data: Buffer, apart = false): void {
  if (!apart) lines.within(data, 0);
  for (let start = 0, end: number; (end = data.indexOf(0x0a, start)) !== -1; start = end + 1) {
    if (!apart) lines.line(start, end);
    else {
      lines.within(Buffer.from(data.subarray(start, end + 1)), 0);
      lines.line(0, end - start);
    }
  }
}

/** What SummaryLines told every line of `data` ends with: its count, or its error's message. */
function linesVerdict(data: Buffer, apart = false): number | string {
  const lines = new SummaryLines('pkg_summary');
  tell(lines, data, apart);
  try {
    return lines.end();
  } catch (error) {
    return (error as Error).message;
  }
}

describe('SummaryLines', () => {
  const checked = (data: Buffer): number | string => {
    try {
      return checkSummary(data, 'pkg_summary');
    } catch (error) {
      return (error as Error).message;
    }
  };
  const malformed = [
    'PKGNAME=a-1\nJUNK\n\n',
    'PKGNAME=a-1\nCOMMENT=x\ry\n\n',
    'PKGNAME=a-1\n\nPKGNAME=b\x00-1\n\n',
    'PKGNAME=a-1\n\n\nPKGNAME=b-1\n\n',
    '\nPKGNAME=a-1\n\n',
    'PKGNAME=a-1\n',
    'PKGNAME=a-1\nCOMMENT=x\nPKGNAME=b-1\n\n',
    'COMMENT=x\n\n',
    'PKGNAME=a-1\r\n\n',
    '',
  ];

  it.each(malformed.map((body) => [JSON.stringify(body)]))(
    'says what checkSummary says of %s, from one buffer or a buffer a line',
    (body) => {
      const data = text(JSON.parse(body) as string);
      expect(linesVerdict(data)).toBe(checked(data));
      expect(linesVerdict(data, true)).toBe(checked(data));
    },
  );

  it('counts the entries of a good summary', () => {
    expect(linesVerdict(SAMPLE)).toBe(3);
    expect(linesVerdict(SAMPLE, true)).toBe(3);
  });

  it('keeps the first error and is told the lines after it without throwing', () => {
    const lines = new SummaryLines('pkg_summary');
    expect(() => tell(lines, text('PKGNAME=a-1\nbad\nworse\n\x00\n'))).not.toThrow();
    expect(() => lines.end()).toThrow('pkg_summary:2: expected NAME=VALUE, found a line without "=": "bad"');
  });

  it('leaves a CR or NUL between the lines it is told to the decoder that dropped it', () => {
    // "- " escapes, a CR before the line end and blanks after it: bytes a decoder drops, in no line.
    const data = text('- PKGNAME=a-1\r\nCOMMENT=x \t\r\n\0\n');
    const lines = new SummaryLines('pkg_summary');
    lines.within(data, 0);
    lines.line(2, 13);
    lines.line(15, 24);
    lines.line(29, 29);
    expect(lines.end()).toBe(1);
  });

  it('looks at the bytes of a buffer named again, not at what it held before', () => {
    const buf = text('PKGNAME=a-1\n\n');
    const lines = new SummaryLines('pkg_summary');
    tell(lines, buf);
    buf.write('PKGNAME=\rb-\n\n', 'latin1');
    tell(lines, buf);
    expect(() => lines.end()).toThrow(
      'pkg_summary:3: expected lines ending in LF alone, found a carriage return (CRLF text?)',
    );
  });
});

describe('setValue', () => {
  const entry: Entry = {
    variables: [
      { name: 'PKGNAME', value: 'a-1' },
      { name: 'FILE_SIZE', value: '10' },
      { name: 'COMMENT', value: 'c' },
      { name: 'FILE_SIZE', value: '11' },
    ],
  };
  const before = JSON.stringify(entry);

  it('replaces the first occurrence where it stands and drops the others', () => {
    expect(setValue(entry, 'FILE_SIZE', '12').variables).toEqual([
      { name: 'PKGNAME', value: 'a-1' },
      { name: 'FILE_SIZE', value: '12' },
      { name: 'COMMENT', value: 'c' },
    ]);
    expect(JSON.stringify(entry)).toBe(before);
  });

  it('appends a variable the entry does not have', () => {
    const cksum = 'sha256 ' + 'ab'.repeat(32);
    const set = setValue(entry, 'FILE_CKSUM', cksum);
    expect(set.variables).toEqual([...entry.variables, { name: 'FILE_CKSUM', value: cksum }]);
    expect(set.variables).not.toBe(entry.variables);
    expect(JSON.stringify(entry)).toBe(before);
  });

  it('refuses a value that would add lines of its own, and a bad name', async () => {
    for (const bad of ['1\nFILE_CKSUM=sha256 00', 'x\ry', 'a\x00b', '\u20ac']) {
      expect((await caught(() => setValue(entry, 'COMMENT', bad))).code).toBe('SUMMARY_MALFORMED');
    }
    expect((await caught(() => setValue(entry, 'comment', 'x'))).code).toBe('SUMMARY_MALFORMED');
    expect(JSON.stringify(entry)).toBe(before);
  });
});

describe('formatEntry', () => {
  it('refuses what parseSummary would refuse', async () => {
    const bad: Entry[] = [
      { variables: [{ name: 'PKGNAME', value: 'a-1\nFILE_SIZE=1' }] },
      {
        variables: [
          { name: 'PKGNAME', value: 'a-1' },
          { name: 'DESCRIPTION', value: 'UTF-16 \u263a' },
        ],
      },
      {
        variables: [
          { name: 'PKGNAME', value: 'a-1' },
          { name: 'Bad', value: 'x' },
        ],
      },
      { variables: [{ name: 'COMMENT', value: 'x' }] },
      { variables: [] },
      {
        variables: [
          { name: 'PKGNAME', value: 'a-1' },
          { name: 'PKGNAME', value: 'b-1' },
        ],
      },
    ];
    for (const entry of bad) {
      expect((await caught(() => formatEntry(entry))).code).toBe('SUMMARY_MALFORMED');
      expect((await caught(() => formatSummary([entry]))).code).toBe('SUMMARY_MALFORMED');
    }
  });
});

/** A slow sink that records how much was ever waiting in its buffer. */
function slowSink(highWaterMark: number) {
  const chunks: Buffer[] = [];
  let peak = 0;
  const out = new Writable({
    highWaterMark,
    write(chunk: Buffer, _encoding, done) {
      peak = Math.max(peak, out.writableLength);
      chunks.push(chunk);
      setImmediate(done);
    },
  });
  // Ends the stream first: writeEntries leaves that to its caller, and the last entries may still be queued.
  const written = async () => {
    out.end();
    await finished(out);
    return Buffer.concat(chunks);
  };
  return { out, written, peak: () => peak };
}

describe('writeEntries', () => {
  const many = Array.from({ length: 201 }, (_, i) => ({
    variables: [
      { name: 'PKGNAME', value: `p${i}-1.0` },
      { name: 'COMMENT', value: `package \xe9 ${i}` },
    ],
  }));
  const longest = Math.max(...many.map((e) => formatEntry(e).length));

  it('writes the bytes formatSummary gives, waiting for the stream to drain', async () => {
    const sink = slowSink(64);
    await writeEntries(many, sink.out);
    expect(sink.out.writableEnded).toBe(false);
    expect((await sink.written()).equals(Buffer.from(formatSummary(many), 'latin1'))).toBe(true);
    expect(sink.peak()).toBeLessThanOrEqual(64 + longest);
  });

  it('takes an async iterable and round-trips a parsed summary', async () => {
    const sink = slowSink(16);
    await writeEntries(readEntries(chunked(SAMPLE, [5, 100, 3]), 'sample'), sink.out);
    expect((await sink.written()).equals(SAMPLE)).toBe(true);
  });

  it('rejects with the stream error', async () => {
    const out = new Writable({
      highWaterMark: 16,
      write(_chunk, _encoding, done) {
        setImmediate(() => done(new Error('disk full')));
      },
    });
    await expect(writeEntries(many, out)).rejects.toThrow('disk full');
  });

  it('rejects a malformed entry', async () => {
    const sink = slowSink(1024);
    const error = await caught(() => writeEntries([{ variables: [{ name: 'COMMENT', value: 'x' }] }], sink.out));
    expect(error.code).toBe('SUMMARY_MALFORMED');
  });
});
