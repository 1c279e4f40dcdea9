/**
 * Size caps on documents read from outside (DESIGN.md §3 "endless data"): each is checked before a
 * file is read, while a download arrives and while a decompressor's output grows, so that memory use
 * is bounded by the cap whatever a mirror serves.
 */

/**
 * A signed pkg_summary, compressed or not, and the text it decompresses to. A full pkgsrc repository
 * is about 45 MB of text today (25,000 entries); `make bench` verifies up to 250,000 entries (about
 * 430 MB), ten times that, and those must pass. The cap is what a hostile mirror can make a client
 * allocate: check-repo holds one copy of the text and peaks at about the index plus 70-100 MiB, so
 * about 600 MiB at the cap, which a 1 GB board can still afford; the proxy downloads the index to
 * disk and keeps a few bytes an entry in memory, so there the cap bounds disk, not memory.
 */
export const MAX_INDEX_BYTES = 512 * 1024 * 1024;

/** pkg-vulnerabilities, compressed or not, and its text: about 1 MB today. */
export const MAX_VULNERABILITIES_BYTES = 64 * 1024 * 1024;

/** Largest key material pkgkeys reads in one go; a keyring is kilobytes, never megabytes. */
export const MAX_KEYRING_BYTES = 16 * 1024 * 1024;

/** A keyring release statement (lib/keyring/release.ts) is a few hundred bytes. */
export const MAX_RELEASE_BYTES = 64 * 1024;
