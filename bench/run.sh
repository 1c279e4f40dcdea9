#!/usr/bin/env bash
# make bench: pkgkeys against its peers (gpgv, sq, gpg, sha256sum, openssl) on synthetic data.
# Prints a markdown report and writes it to docs/benchmarks.md. Local files only; a few minutes on 2 cores.
#
# Environment: PKGKEYS (default "node bin/pkgkeys.js"), BENCH_RUNS (3), BENCH_PACKAGES (400),
# BENCH_PACKAGE_BYTES (2G), BENCH_RESULTS (docs/benchmarks.md), BENCH_KEEP=1 keeps the scratch directory.
set -euo pipefail
export LC_ALL=C TZ=UTC # EPOCHREALTIME needs a '.' decimal point; dates in the report are UTC

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" # PKGKEYS may be relative to the repository root
read -r -a PK <<<"${PKGKEYS:-node bin/pkgkeys.js}"
runs=${BENCH_RUNS:-3}
npackages=${BENCH_PACKAGES:-400}
package_bytes=${BENCH_PACKAGE_BYTES:-2G}
results=${BENCH_RESULTS:-docs/benchmarks.md}
sizes=(2500 25000 100000)
main_size=25000
repo=NetBSD/x86_64/10.0/All
run_timeout=600 # per command: a hang (say, a passphrase prompt) must not stall make bench forever

say() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

for tool in node gpg gpgv gpgconf sq openssl sha256sum xargs timeout /usr/bin/time; do
	command -v "$tool" >/dev/null || die "missing tool: $tool"
done
/usr/bin/time -f '%e %M' -o /dev/null true 2>/dev/null || die "/usr/bin/time is not GNU time (-f '%e %M')"

work=$(mktemp -d "${TMPDIR:-/tmp}/pkgkeys-bench.XXXXXX")
export GNUPGHOME=$work/gnupg # peers never see the user's keys, and their agent dies with the run
cleanup() {
	gpgconf --homedir "$GNUPGHOME" --kill gpg-agent >/dev/null 2>&1 || true
	if [[ -n ${BENCH_KEEP:-} ]]; then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -m 700 "$GNUPGHOME"
# A throw-away passphrase for throw-away keys; pkgkeys reads it from the environment.
export PKGKEYS_PASSPHRASE=bench-only-passphrase

raw=$work/raw.tsv  # label, run, wall microseconds, peak RSS KiB
meta=$work/meta.tsv # key, value: what the report needs besides timings
: >"$raw"
: >"$meta"
note() { printf '%s\t%s\n' "$1" "$2" >>"$meta"; }

# check WHAT CMD...: runs an untimed setup step; on failure shows its output and stops.
check() {
	local what=$1
	shift
	if ! timeout "$run_timeout" "$@" </dev/null >"$work/step.out" 2>&1; then
		sed 's/^/    /' "$work/step.out" | tail -n 20 >&2
		die "FAILED: $what: $*"
	fi
}

# measure LABEL [--fresh DIR] [--remove FILE] -- CMD...: runs CMD $runs times under GNU time.
# --fresh empties DIR and --remove deletes FILE before every run, so every run does the same work.
measure() {
	local label=$1 fresh=() remove=() i t0 t1 rss
	shift
	while [[ $1 != -- ]]; do
		case $1 in
		--fresh) fresh+=("$2") ;;
		--remove) remove+=("$2") ;;
		*) die "measure: bad option $1" ;;
		esac
		shift 2
	done
	shift
	say "measuring $label ($runs runs)"
	for ((i = 1; i <= runs; i++)); do
		for d in "${fresh[@]}"; do rm -rf "$d" && mkdir -p "$d"; done
		for f in "${remove[@]}"; do rm -f "$f"; done
		t0=${EPOCHREALTIME/./}
		if ! timeout "$run_timeout" /usr/bin/time -f '%e %M' -o "$work/time.out" "$@" </dev/null >/dev/null 2>"$work/cmd.err"; then
			sed 's/^/    /' "$work/cmd.err" | tail -n 20 >&2
			die "FAILED: $label (run $i): $* ($(head -n 1 "$work/time.out" 2>/dev/null || echo 'no status'))"
		fi
		t1=${EPOCHREALTIME/./}
		# EPOCHREALTIME gives microseconds where %e has only 10 ms; %M is the peak RSS in KiB.
		rss=$(awk 'END { print $2 }' "$work/time.out")
		printf '%s\t%d\t%d\t%d\n' "$label" "$i" $((t1 - t0)) "$rss" >>"$raw"
	done
}

# --- environment -------------------------------------------------------------------------------------
note date "$(date -u '+%Y-%m-%d %H:%M UTC')"
note uname "$(uname -srm)"
note cpu "$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n 1)"
note cores "$(nproc)"
note memory "$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
note sha_ni "$(grep -q -w sha_ni /proc/cpuinfo && echo yes || echo no)"
note node "$(node --version)"
note gpg "$(gpg --version | head -n 1)"
note gpgv "$(gpgv --version | head -n 1)"
note sq "$(sq --version 2>&1 | head -n 1)"
note openssl "$(openssl version)"
note sha256sum "$(sha256sum --version | head -n 1)"
note pkgkeys "${PK[*]} ($(git -C "$root" describe --always --dirty 2>/dev/null || echo 'no git'))"
note runs "$runs"
# Other work on the machine skews every figure: the report shows the load before and after.
note load_start "$(cut -d' ' -f1-3 /proc/loadavg)"

# --- data --------------------------------------------------------------------------------------------
say "generating data in $work"
for n in "${sizes[@]}"; do
	check "generate $n entries" node bench/generate.js --entries "$n" --out "$work/s$n"
	note "bytes_$n" "$(stat -c %s "$work/s$n/pkg_summary")"
done
pkgset=$work/pkgset # every entry has its file, so verify-packages has nothing missing to complain about
check "generate packages" node bench/generate.js --entries "$npackages" --packages "$npackages" \
	--package-bytes "$package_bytes" --out "$pkgset"
note packages "$npackages"
note package_bytes "$(find "$pkgset/packages" -name '*.tgz' -printf '%s\n' | awk '{ s += $1 } END { print s }')"

# --- keys: made by pkgkeys itself, as a build host and the master key holder would ----------------------
say "creating keys"
keys=$work/keys
check "pkgkeys master init" "${PK[@]}" master init --uid "Bench Master <master@bench.invalid>" --out "$keys/master"
check "pkgkeys key init" "${PK[@]}" key init --uid "Bench Host <host@bench.invalid>" --out "$keys/host"
# A second, unprotected key separates the cost of decrypting the key from the cost of signing.
check "pkgkeys key init --no-passphrase" "${PK[@]}" key init --uid "Bench Host 2 <host2@bench.invalid>" \
	--no-passphrase --out "$keys/host-nopass"
anchor=$keys/master/master-public.asc
host_secret=$keys/host/signing-secret.asc
host_public=$keys/host/signing-public.asc
check "pkgkeys certify" "${PK[@]}" certify --signer "$keys/master/master-secret.asc" --scope "$repo" \
	--out "$keys/host-cert.asc" "$host_public"
# sign-summary checks its key against the keyring clients have (the publish gate): both hosts are certified.
check "pkgkeys certify (host 2)" "${PK[@]}" certify --signer "$keys/master/master-secret.asc" --scope "$repo" \
	--out "$keys/host-nopass-cert.asc" "$keys/host-nopass/signing-public.asc"
check "pkgkeys keyring import" "${PK[@]}" keyring import --keyring "$keys/kr" "$anchor" "$keys/host-cert.asc" "$keys/host-nopass-cert.asc"
check "pkgkeys keyring export" "${PK[@]}" keyring export --keyring "$keys/kr" --out "$keys/keyring.gpg"
host_fpr=$(gpg --batch --with-colons --show-keys "$host_public" 2>/dev/null | awk -F: '$1 == "fpr" { print $10; exit }')
[[ -n $host_fpr ]] || die "gpg cannot read the host certificate $host_public"
# The chain must hold before anything is timed, or every verify below measures a failure path.
check "pkgkeys keyring explain (host key trusted for $repo)" "${PK[@]}" keyring explain "$host_fpr" \
	--keyring "$keys/keyring.gpg" --anchor "$anchor" --repository "$repo"
check "gpg --dearmor (gpgv keyring)" gpg --batch --yes --output "$keys/host.gpg" --dearmor "$host_public"
# The gpg peer signs with its own RSA-3072 key: no passphrase, as an unattended signer would.
check "gpg --quick-gen-key" gpg --batch --pinentry-mode loopback --passphrase '' \
	--quick-gen-key "Bench GPG <gpg@bench.invalid>" rsa3072 sign never
gpg_fpr=$(gpg --batch --with-colons --list-secret-keys 2>/dev/null | awk -F: '$1 == "fpr" { print $10; exit }')
gpgsign=(gpg --batch --yes --pinentry-mode loopback --passphrase '' --local-user "$gpg_fpr")
# Start gpg-agent now so that the first timed signature does not pay for it.
check "gpg warm-up signature" "${gpgsign[@]}" --clearsign --output "$work/warm.asc" "$anchor"

# --- sign ----------------------------------------------------------------------------------------------
s=$work/s$main_size
# Every command writes its output through a shell redirection, the same way for all: --output would
# add pkgkeys' fsync (its atomic write), which gpg and sq do not do.
to=(bash -c 'out=$1; shift; exec "$@" > "$out"' _) # exec: the measured process is the command itself
measure "sign:pkgkeys:$main_size" --remove "$s/signed" -- \
	"${to[@]}" "$s/signed" "${PK[@]}" sign-summary --client-keyring "$keys/keyring.gpg" --anchor "$anchor" --key "$host_secret" --repository "$repo" "$s/pkg_summary"
measure "sign:pkgkeys-nopass:$main_size" --remove "$s/signed-nopass" -- \
	"${to[@]}" "$s/signed-nopass" "${PK[@]}" sign-summary --client-keyring "$keys/keyring.gpg" --anchor "$anchor" --key "$keys/host-nopass/signing-secret.asc" --repository "$repo" "$s/pkg_summary"
measure "sign:gpg:$main_size" --remove "$s/gpg-signed" -- \
	"${to[@]}" "$s/gpg-signed" "${gpgsign[@]}" --clearsign --output - "$s/pkg_summary"
note hash_pkgkeys "$(sed -n 's/^Hash: //p;/^$/q' "$s/signed")"
note hash_gpg "$(sed -n 's/^Hash: //p;/^$/q' "$s/gpg-signed")"
for n in "${sizes[@]}"; do
	[[ $n == "$main_size" ]] && continue
	check "pkgkeys sign-summary ($n entries)" "${PK[@]}" sign-summary --client-keyring "$keys/keyring.gpg" --anchor "$anchor" --key "$host_secret" --repository "$repo" \
		--output "$work/s$n/signed" "$work/s$n/pkg_summary"
done
check "pkgkeys sign-summary (package set)" "${PK[@]}" sign-summary --client-keyring "$keys/keyring.gpg" --anchor "$anchor" --key "$host_secret" --repository "$repo" \
	--output "$pkgset/signed" "$pkgset/pkg_summary"

# --- verify, at every size (the main size is the headline, the others show scaling) ----------------------
for n in "${sizes[@]}"; do
	s=$work/s$n
	measure "verify:pkgkeys:$n" --fresh "$work/state" --remove "$s/verified" -- \
		"${to[@]}" "$s/verified" "${PK[@]}" verify-summary --anchor "$anchor" --keyring "$keys/keyring.gpg" --repository "$repo" \
		--state-dir "$work/state" "$s/signed"
	# A fast verifier that writes the wrong text would be no use: its output must be the summary.
	if cmp -s "$s/verified" "$s/pkg_summary"; then note "verified_same_$n" yes; else
		note "verified_same_$n" "no ($(stat -c %s "$s/verified") bytes, pkg_summary $(stat -c %s "$s/pkg_summary"))"
	fi
	measure "verify:gpgv:$n" -- gpgv --keyring "$keys/host.gpg" "$s/signed"
	measure "verify:sq:$n" -- "${to[@]}" "$s/sq-verified" sq verify --signer-cert "$host_public" "$s/signed"
done

# --- hash packages -------------------------------------------------------------------------------------
shopt -s nullglob
pkgfiles=("$pkgset"/packages/*.tgz)
shopt -u nullglob
((${#pkgfiles[@]} > 0)) || die "no packages in $pkgset/packages"
cat "${pkgfiles[@]}" >/dev/null # from the page cache for everyone: this measures hashing, not the disk
for jobs in 1 2; do
	measure "hash:pkgkeys-j$jobs" --fresh "$work/state" -- \
		"${PK[@]}" verify-packages --anchor "$anchor" --keyring "$keys/keyring.gpg" --repository "$repo" \
		--state-dir "$work/state" --jobs "$jobs" "$pkgset/signed" "$pkgset/packages"
done
measure "hash:sha256sum" -- sha256sum "${pkgfiles[@]}"
measure "hash:openssl" -- openssl dgst -sha256 "${pkgfiles[@]}"
# Two processes over batches of 10 files: small batches keep both cores busy to the end.
measure "hash:sha256sum-P2" -- bash -c 'printf "%s\0" "$@" | xargs -0 -P2 -n 10 sha256sum' _ "${pkgfiles[@]}"
measure "hash:openssl-P2" -- bash -c 'printf "%s\0" "$@" | xargs -0 -P2 -n 10 openssl dgst -sha256' _ "${pkgfiles[@]}"

note load_end "$(cut -d' ' -f1-3 /proc/loadavg)"

# --- report --------------------------------------------------------------------------------------------
node bench/report.js "$meta" "$raw" >"$work/results.md"
cat "$work/results.md"
mkdir -p "$(dirname "$results")"
cp "$work/results.md" "$results.tmp" && mv "$results.tmp" "$results"
say "wrote $results"
