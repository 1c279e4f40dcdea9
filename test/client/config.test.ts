/** pkgkeys.conf(5): strict reading, and what setup writes reads back the same. */
import { type Config, defaultConfig, formatConfig, parseConfig, policyOf } from '../../lib/client/config';
import { parseRepositoriesConf, repositoryOfURL, upstreamsOf } from '../../lib/client/pkgin';
import { PkgkeysError } from '../../lib/errors';
import { defaultLocations } from '../../lib/paths';
import { checkRepository } from '../../lib/trust/scope';

const defaults = defaultConfig(defaultLocations({}));
const parse = (text: string) => parseConfig(text, 'pkgkeys.conf', defaults);

function refusal(text: string): string {
  try {
    parse(text);
  } catch (error) {
    if (error instanceof PkgkeysError) return `${error.code}: ${error.message}`;
    throw error;
  }
  throw new Error('accepted');
}

test('every keyword is read, comments and blank lines skipped', () => {
  const config = parse(
    [
      '# the repositories',
      'repository NetBSD/x86_64/10.0/All https://cdn.NetBSD.org/pub/pkgsrc/packages/NetBSD/x86_64/10.0/All/',
      '',
      'repository local/All file:///srv/packages/All   # a mounted mirror',
      'keyring-url https://mirror.example/keyring/',
      'keyring-name example',
      'anchors /etc/example/anchors',
      'anchor-threshold 2',
      'pkgin /opt/pkg/bin/pkgin',
      'pkgin-dbdir /opt/pkg/var/db/pkgin',
      'clock-skew 60',
      'min-rsa-bits 3072',
    ].join('\n'),
  );
  expect(config).toEqual({
    upstreams: [
      {
        repository: 'NetBSD/x86_64/10.0/All',
        url: 'https://cdn.netbsd.org/pub/pkgsrc/packages/NetBSD/x86_64/10.0/All',
      },
      { repository: 'local/All', url: 'file:///srv/packages/All' },
    ],
    keyringURL: 'https://mirror.example/keyring/',
    keyringName: 'example',
    anchorDir: '/etc/example/anchors',
    anchorThreshold: 2,
    pkgin: '/opt/pkg/bin/pkgin',
    pkginDbDir: '/opt/pkg/var/db/pkgin',
    clockSkewSeconds: 60,
    minRSABits: 3072,
  });
  expect(policyOf(config)).toMatchObject({ clockSkewSeconds: 60, minRSABits: 3072, anchorThreshold: 2 });
});

test.each([
  ['an unknown keyword', 'verify never', /^BAD_CONFIG: pkgkeys.conf:1: unknown keyword "verify"/],
  ['a missing value', '\nrepository NetBSD/x86_64/10.0/All', /^BAD_CONFIG: pkgkeys.conf:2: repository takes 2 value/],
  ['a repository configured twice', 'repository a/b http://x/a\nrepository a/b http://x/b', /configured twice/],
  ['an identifier with ..', 'repository NetBSD/../All http://x/a', /not a repository identifier/],
  ['a URL of another scheme', 'repository a/b ftp://x/a', /http, https or file URL/],
  [
    'a keyring name of two segments',
    'keyring-name pkgsrc/extra',
    /^BAD_CONFIG: pkgkeys.conf:1: "pkgsrc\/extra" is not a keyring name/,
  ],
  ['a URL with a query', 'repository a/b http://x/a?b', /without query/],
  ['an RSA floor below 2048 bits', 'min-rsa-bits 1024', /min-rsa-bits must be a whole number from 2048/],
  ['an anchor threshold of none', 'anchor-threshold 0', /anchor-threshold must be a whole number from 1/],
  ['a clock skew that is not a number', 'clock-skew 5m', /clock-skew must be a whole number/],
  ['a relative anchors directory', 'anchors etc/anchors', /anchors must be an absolute path/],
  ['a relative pkgin database directory', 'pkgin-dbdir var/db/pkgin', /pkgin-dbdir must be an absolute path/],
  ['a keyring URL that is no URL', 'keyring-url cdn.NetBSD.org/keyring', /is not a URL/],
])('%s is a configuration error with its line', (_what, text, message) => {
  expect(refusal(text)).toMatch(message);
});

test('what setup writes reads back as the same configuration, defaults commented out', () => {
  const config: Config = {
    ...defaults,
    upstreams: [
      {
        repository: checkRepository('NetBSD/aarch64/10.1/All'),
        url: 'https://cdn.netbsd.org/pub/pkgsrc/packages/NetBSD/aarch64/10.1/All',
      },
    ],
    clockSkewSeconds: 30,
  };
  const text = formatConfig(config, defaults);
  expect(text).toMatch(/^clock-skew 30$/m);
  expect(text).toMatch(/^#keyring-url https:\/\/cdn.NetBSD.org\//m);
  expect(parse(text)).toEqual(config);
});

describe("pkgin's repositories.conf", () => {
  test('comments are skipped and $arch and $osrelease expanded', () => {
    const text =
      '# pkgin repositories\n\nhttps://cdn.NetBSD.org/pub/pkgsrc/packages/NetBSD/$arch/$osrelease/All\n  # http://old/\n';
    expect(parseRepositoriesConf(text, { arch: 'aarch64', osrelease: '10.1' })).toEqual([
      'https://cdn.NetBSD.org/pub/pkgsrc/packages/NetBSD/aarch64/10.1/All',
    ]);
  });

  test('the identifier is the path below packages/ (DESIGN.md §5)', () => {
    expect(repositoryOfURL('https://cdn.NetBSD.org/pub/pkgsrc/packages/NetBSD/x86_64/10.0/All/')).toBe(
      'NetBSD/x86_64/10.0/All',
    );
    expect(repositoryOfURL('http://pkgsrc.smartos.org/packages/SmartOS/2024Q4/x86_64/All')).toBe(
      'SmartOS/2024Q4/x86_64/All',
    );
    expect(repositoryOfURL('file:///srv/All')).toBeNull();
    expect(repositoryOfURL('https://example.org/packages/')).toBeNull();
  });

  test('a URL without packages/ needs an identifier given for it', () => {
    expect(() => upstreamsOf(['file:///srv/All'], new Map())).toThrow(/--identifier file:\/\/\/srv\/All=IDENTIFIER/);
    expect(upstreamsOf(['file:///srv/All'], new Map([['file:///srv/All', 'local/All']]))).toEqual([
      { repository: 'local/All', url: 'file:///srv/All' },
    ]);
  });
});
