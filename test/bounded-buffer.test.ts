import { BoundedBuffer } from '../lib/bounded-buffer';

const bytes = (n: number, fill: number) => Buffer.alloc(n, fill);

test('gathers chunks into one buffer past its first allocation, up to the limit', () => {
  const buffer = new BoundedBuffer(300_000);
  const chunks = [bytes(100_000, 1), bytes(100_000, 2), bytes(100_000, 3)];
  for (const chunk of chunks) expect(buffer.push(chunk)).toBe(true);
  expect(buffer.bytes().equals(Buffer.concat(chunks))).toBe(true);
});

test('refuses a chunk that would pass the limit, storing nothing of it', () => {
  const buffer = new BoundedBuffer(10, 4);
  expect(buffer.push(bytes(6, 1))).toBe(true);
  expect(buffer.push(bytes(5, 2))).toBe(false);
  expect(buffer.push(bytes(4, 3))).toBe(true);
  expect([...buffer.bytes()]).toEqual([1, 1, 1, 1, 1, 1, 3, 3, 3, 3]);
});

test('nothing gathered is an empty buffer', () => {
  expect(new BoundedBuffer(10, 0).bytes()).toHaveLength(0);
});
