#!/bin/sh
# make demo: the trust chain of pkgkeys end to end, on throw-away keys in a temporary directory.
# Every step checks its outcome; the demo fails if anything is accepted that should not be.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/pkgkeys-demo.XXXXXX")
server= proxy=
trap 'for p in $server $proxy; do kill "$p" 2>/dev/null; done; rm -rf "$work"' EXIT INT TERM
cd "$work"
pkgkeys() { node "$here/bin/pkgkeys.js" "$@"; }
step() { printf '\n== %s\n' "$*"; }
expect() { # expect STATUS CODE command...: runs the command, which must exit STATUS and print CODE
	want=$1 code=$2; shift 2
	set +e; out=$("$@" 2>&1); got=$?; set -e
	printf '%s\n' "$out" | sed 's/^/   /'
	if [ "$got" != "$want" ] || ! printf '%s' "$out" | grep -q -- "$code"; then
		echo "demo: expected exit $want with $code, got exit $got" >&2; exit 1
	fi
}
get() { # get URL FILE: an HTTP download, failing on any status but 200
	node -e 'fetch(process.argv[1]).then(async (r) => { if (!r.ok) process.exit(1); require("fs").writeFileSync(process.argv[2], Buffer.from(await r.arrayBuffer())); })' "$1" "$2"
}
client() { env PKGKEYS_ROOT="$work/client/root" node "$here/bin/pkgkeys.js" "$@"; } # the user's machine
fpr() { sed -n 's/.*"fingerprint": "\([0-9A-F]*\)".*/\1/p' | head -n 1; }

# A throw-away passphrase; on a real offline machine you type it at the prompt.
PKGKEYS_PASSPHRASE=demo-only-passphrase; export PKGKEYS_PASSPHRASE
REPO=NetBSD/x86_64/10.0/All

step "The master key holder creates the pkgsrc master key (offline)"
MASTER=$(pkgkeys --json master init --uid "pkgsrc demo master <master@pkgsrc.invalid>" --out master | fpr)
echo "   master $MASTER; anchor master/master-public.asc; revocation certificate kept apart"

step "Two build hosts create RSA-3072 signing keys; a developer creates a key"
B1=$(pkgkeys --json key init --uid "build host b1 <b1@pkgsrc.invalid>" --out b1 --no-passphrase | fpr)
B2=$(pkgkeys --json key init --uid "build host b2 <b2@pkgsrc.invalid>" --out b2 --no-passphrase | fpr)
DEV=$(pkgkeys --json key init --uid "aarch64 developer <dev@pkgsrc.invalid>" --out dev --algo ed25519 --no-passphrase 2>/dev/null | fpr)
echo "   b1 $B1"; echo "   b2 $B2"; echo "   developer $DEV"

step "The master certifies b1 for NetBSD/x86_64/10.*/All (2 years) and delegates aarch64 to the developer"
pkgkeys certify --signer master/master-secret.asc --scope 'NetBSD/x86_64/10.*/All' --out b1/certified.asc b1/signing-public.asc
pkgkeys certify --signer master/master-secret.asc --scope 'NetBSD/aarch64/**' --delegate --out dev/certified.asc dev/signing-public.asc

step "The developer certifies b2 for NetBSD/aarch64/10.0/All"
pkgkeys certify --signer dev/signing-secret.asc --scope 'NetBSD/aarch64/10.0/All' --expires 1y --out b2/certified.asc b2/signing-public.asc

step "Everything goes into the decomposed keyring, one packet per file"
pkgkeys keyring --keyring keyrings/pkgsrc import master/master-public.asc b1/certified.asc dev/certified.asc b2/certified.asc >/dev/null
find keyrings/pkgsrc -type f | sort | sed 's/^/   /'
pkgkeys keyring --keyring keyrings/pkgsrc check

step "A keyring publisher key, certified for keyring/pkgsrc only, publishes release 1 of the keyring"
pkgkeys key init --uid "keyring publisher <keyring@pkgsrc.invalid>" --out publisher --algo ed25519 --no-passphrase >/dev/null 2>&1
pkgkeys certify --signer master/master-secret.asc --scope keyring/pkgsrc --out publisher/certified.asc publisher/signing-public.asc
pkgkeys keyring --keyring keyrings/pkgsrc import publisher/certified.asc >/dev/null
pkgkeys keyring --keyring keyrings/pkgsrc publish --key publisher/signing-secret.asc --anchor master/master-public.asc \
	--out mirror/keyring/pkgsrc | sed 's/^/   /'
cp -R mirror/keyring/pkgsrc first-release

step "Is b1 allowed to sign $REPO today?"
expect 0 'trusted' pkgkeys keyring --keyring keyrings/pkgsrc explain "$B1" --anchor master/master-public.asc --repository "$REPO"

step "Is b2 (through the developer) allowed to sign NetBSD/aarch64/10.0/All?"
expect 0 'trusted' pkgkeys keyring --keyring keyrings/pkgsrc explain "$B2" --anchor master/master-public.asc --repository NetBSD/aarch64/10.0/All

step "Rejected: b2 signing for x86_64 (mix-and-match between repositories)"
expect 1 'OUT_OF_SCOPE' pkgkeys keyring --keyring keyrings/pkgsrc explain "$B2" --anchor master/master-public.asc --repository "$REPO"

step "Rejected: b1 judged after its certification expired (a frozen, replayed keyring)"
expect 1 'CERT_EXPIRED' pkgkeys keyring --keyring keyrings/pkgsrc explain "$B1" --anchor master/master-public.asc --repository "$REPO" --at 2099-01-01

step "b1 builds packages and signs the index for $REPO: FILE_CKSUM=sha256 added, expires in 7 days"
mkdir -p mirror/packages/$REPO
for p in hello-2.12 tree-2.1.1 pkgin-24.5.1; do printf 'demo package %s\n' "$p" > "mirror/packages/$REPO/$p.tgz"; done
for p in hello-2.12 tree-2.1.1 pkgin-24.5.1; do printf 'PKGNAME=%s\nCOMMENT=demo package %s\nPKGPATH=misc/%s\n\n' "$p" "$p" "${p%-*}"; done > pkg_summary
gzip -9c pkg_summary > "mirror/packages/$REPO/pkg_summary.gz"
pkgkeys sign-summary --key b1/signing-secret.asc --repository "$REPO" --packages "mirror/packages/$REPO" \
	--keyring-url "file://$PWD/mirror/keyring/pkgsrc/" --anchor master/master-public.asc \
	--output "mirror/packages/$REPO/pkg_summary.asc" "mirror/packages/$REPO/pkg_summary.gz"
cp "mirror/packages/$REPO/pkg_summary.asc" last-week.asc
sleep 1 # index signatures have one-second resolution: the next one is newer
pkgkeys sign-summary --key b1/signing-secret.asc --repository "$REPO" --packages "mirror/packages/$REPO" \
	--keyring-url "file://$PWD/mirror/keyring/pkgsrc/" --anchor master/master-public.asc \
	--output "mirror/packages/$REPO/pkg_summary.asc" "mirror/packages/$REPO/pkg_summary.gz" 2>/dev/null

step "The mirror serves the repository on 127.0.0.1"
node "$here/demo/serve.js" mirror > port &
server=$!
while [ ! -s port ]; do sleep 0.1; done
URL="http://127.0.0.1:$(cat port)/packages/$REPO"
echo "   $URL/"
KEYRING_URL="http://127.0.0.1:$(cat port)/keyring/pkgsrc/"

step "A user's machine (its /etc and /var under client/root) installs the keyring with pkgkeys update"
mkdir -p client/root/etc/pkgkeys/anchors
cp master/master-public.asc client/root/etc/pkgkeys/anchors/pkgsrc.asc
KR=client/root/var/db/pkgkeys/keyring.gpg
expect 0 'installed' env PKGKEYS_ROOT="$work/client/root" node "$here/bin/pkgkeys.js" update --url "$KEYRING_URL"
expect 0 'up to date' env PKGKEYS_ROOT="$work/client/root" node "$here/bin/pkgkeys.js" update --url "$KEYRING_URL"
ls -l client/root/var/db/pkgkeys | sed 's/^/   /'

step "A user fetches the signed index and verifies it: chain, signature, repository, freshness"
get "$URL/pkg_summary.asc" client/pkg_summary.asc
expect 0 'good index' pkgkeys verify-summary --anchor master/master-public.asc --keyring "$KR" \
	--repository "$REPO" --state-dir client/state --output client/pkg_summary client/pkg_summary.asc

step "... then fetches the packages and checks each one's SHA-256 against the verified index"
mkdir -p client/All
for p in hello-2.12 tree-2.1.1 pkgin-24.5.1; do get "$URL/$p.tgz" "client/All/$p.tgz"; done
expect 0 '3 package(s) match' pkgkeys verify-packages --anchor master/master-public.asc --keyring "$KR" \
	--repository "$REPO" --state-dir client/state client/pkg_summary.asc client/All

step "pkgin's way: pkgkeys setup reads pkgin's repositories.conf, check-repo verifies the repository upstream"
mkdir -p client/root/usr/pkg/etc/pkgin
echo "http://127.0.0.1:$(cat port)/packages/NetBSD/\$arch/\$osrelease/All" > client/root/usr/pkg/etc/pkgin/repositories.conf
sed 's/^/   repositories.conf: /' client/root/usr/pkg/etc/pkgin/repositories.conf
expect 0 "wrote" client setup --arch x86_64 --osrelease 10.0
expect 0 'good index' client check-repo

step "pkgkeys pkgin runs pkgin against a verifying proxy; here the proxy runs alone and we fetch what pkgin would"
# Not the client function: backgrounded, a function runs in a subshell, and $! would be the subshell,
# not node (killing it would leave the proxy running after the demo).
env PKGKEYS_ROOT="$work/client/root" node "$here/bin/pkgkeys.js" proxy --listen 127.0.0.1:0 > proxy.out 2> proxy.err &
proxy=$!
while ! grep -q '^PKG_REPOS=' proxy.out 2>/dev/null; do sleep 0.1; done
sed 's/^/   /' proxy.out
PROXIED=$(sed -n "s/^PKG_REPOS='\(.*\)'$/\1/p" proxy.out)
get "$PROXIED/pkg_summary.gz" client/proxied_summary.gz
gzip -dc client/proxied_summary.gz | grep -c '^FILE_CKSUM=sha256 ' | sed 's/^/   verified pkg_summary.gz with FILE_CKSUM for each of: /'
get "$PROXIED/hello-2.12.tgz" client/proxied-hello.tgz && echo "   hello-2.12.tgz: served once its SHA-256 matched"

step "Rejected: the mirror swaps a package for another of the same size"
printf 'EVIL package tree-2.1.1\n' > "mirror/packages/$REPO/tree-2.1.1.tgz"
get "$URL/tree-2.1.1.tgz" client/All/tree-2.1.1.tgz
expect 1 'HASH_MISMATCH' pkgkeys verify-packages --anchor master/master-public.asc --keyring "$KR" \
	--repository "$REPO" --state-dir client/state client/pkg_summary.asc client/All tree-2.1.1
if get "$PROXIED/tree-2.1.1.tgz" client/proxied-tree.tgz; then echo "demo: the proxy served a swapped package" >&2; exit 1; fi
grep -q 'HASH_MISMATCH' proxy.err && sed 's/^/   /' proxy.err
kill "$proxy"; wait "$proxy" 2>/dev/null || true; proxy=

step "Rejected: the mirror edits the signed index"
sed 's/^COMMENT=demo package hello/COMMENT=trojaned hello/' client/pkg_summary.asc > client/tampered.asc
expect 1 'BAD_SIGNATURE' pkgkeys verify-summary --anchor master/master-public.asc --keyring "$KR" \
	--repository "$REPO" --state-dir client/state --output /dev/null client/tampered.asc

step "Rejected: the mirror replays last week's index (rollback), or serves it for another repository"
cp last-week.asc "mirror/packages/$REPO/pkg_summary.asc"
get "$URL/pkg_summary.asc" client/replayed.asc
expect 1 'ROLLBACK' pkgkeys verify-summary --anchor master/master-public.asc --keyring "$KR" \
	--repository "$REPO" --state-dir client/state --output /dev/null client/replayed.asc
expect 1 'REPOSITORY_MISMATCH' pkgkeys verify-summary --anchor master/master-public.asc --keyring "$KR" \
	--repository NetBSD/x86_64/10.1/All --state-dir client/state --output /dev/null client/pkg_summary.asc

step "Rejected: the index once its signature has expired (a frozen mirror), judged 8 days on"
expect 1 'INDEX_EXPIRED' pkgkeys --now "$(node -e 'console.log(new Date(Date.now() + 8 * 86400e3).toISOString())')" verify-summary \
	--anchor master/master-public.asc --keyring "$KR" --repository "$REPO" --state-dir client/state --output /dev/null client/pkg_summary.asc

step "b1's key is compromised: its holder revokes it; the revocation is a one-file change"
pkgkeys revoke key --signer b1/signing-secret.asc --reason compromised --text "disk stolen" --out b1/revoked.asc
pkgkeys keyring --keyring keyrings/pkgsrc import b1/revoked.asc | sed 's/^/   /'

step "Rejected: b1 after the revocation, for every signature it ever made"
expect 1 'KEY_REVOKED' pkgkeys keyring --keyring keyrings/pkgsrc explain "$B1" --anchor master/master-public.asc --repository "$REPO"

step "The publisher publishes release 2 with the revocation; the client's next update fetches it"
pkgkeys keyring --keyring keyrings/pkgsrc publish --key publisher/signing-secret.asc --anchor master/master-public.asc \
	--out mirror/keyring/pkgsrc | sed 's/^/   /'
expect 0 'installed' env PKGKEYS_ROOT="$work/client/root" node "$here/bin/pkgkeys.js" update --url "$KEYRING_URL"

step "Rejected: the index b1 signed, once the client's keyring has the revocation"
expect 1 'KEY_REVOKED' pkgkeys verify-summary --anchor master/master-public.asc --keyring "$KR" \
	--repository "$REPO" --state-dir client/state --output /dev/null client/pkg_summary.asc

step "Rejected: the mirror replays keyring release 1 to hide the revocation (rollback), or keeps it for ever (freeze)"
cp first-release/keyring.gpg first-release/release.asc mirror/keyring/pkgsrc/
expect 1 'ROLLBACK' env PKGKEYS_ROOT="$work/client/root" node "$here/bin/pkgkeys.js" update --url "$KEYRING_URL"
expect 1 'KEYRING_FROZEN' env PKGKEYS_ROOT="$work/client/root" node "$here/bin/pkgkeys.js" \
	--now "$(node -e 'console.log(new Date(Date.now() + 15 * 86400e3).toISOString())')" update --url "$KEYRING_URL"
expect 1 'KEY_REVOKED' pkgkeys keyring --keyring "$KR" explain "$B1" --anchor master/master-public.asc --repository "$REPO"

step "Rejected: a tampered keyring file"
# Flip bytes inside the signature of the developer's certification of b2.
f=$(find keyrings/pkgsrc/"$B2" -path '*/certification/*.asc' ! -name "$B2.asc" | head -n 1)
last=$(grep -n '^[A-Za-z0-9+/]\{40,\}$' "$f" | tail -n 1 | cut -d: -f1)
awk -v n="$last" 'NR == n { $0 = substr($0, 1, 8) (substr($0, 9, 4) == "AAAA" ? "BBBB" : "AAAA") substr($0, 13) } { print }' "$f" > "$f.new"
mv "$f.new" "$f"
expect 1 'KEYRING_INVALID' pkgkeys keyring --keyring keyrings/pkgsrc check
# A keyring directory that check refuses is not used for any verdict: the whole keyring is refused.
expect 1 'KEYRING_INVALID' pkgkeys keyring --keyring keyrings/pkgsrc explain "$B2" --anchor master/master-public.asc --repository NetBSD/aarch64/10.0/All

printf '\n== Done. 2 keys, 2 keyring releases, 1 signed index and 3 packages trusted; 15 attempts rejected.\n'
