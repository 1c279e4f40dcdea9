#!/usr/bin/env bash
# make bench: pkgkeys against its peers (sq, gpgv, gpg, curl, gzip, openssl, sha256sum, a plain node:http
# file server) on synthetic data, every target of issue 18 with its ratio and PASS/MISS. Prints a
# markdown report and writes it to docs/benchmarks.md. Servers listen on 127.0.0.1 only and stop on exit.
# With the default sizes: about 8 GB in $TMPDIR at the peak and 10-20 minutes on 2 cores.
#
# Environment: PKGKEYS (default "node bin/pkgkeys.js"), BENCH_SIZES (index sizes in entries, default
# "2500 25000 100000 250000"; the targets are stated at 25,000, 100,000 and 250,000, and a run without
# a size reports its targets n/a: BENCH_SIZES="2500 25000" BENCH_RUNS=1 is a quick run), BENCH_RUNS (3),
# BENCH_PACKAGES (400 package files, listed in every index), BENCH_PACKAGE_BYTES (their total, 2G),
# BENCH_RESULTS (docs/benchmarks.md), BENCH_KEEP=1 keeps the scratch directory.
set -euo pipefail
export LC_ALL=C TZ=UTC # EPOCHREALTIME needs a '.' decimal point; dates in the report are UTC

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" # PKGKEYS may be relative to the repository root
read -r -a PK <<<"${PKGKEYS:-node bin/pkgkeys.js}"
runs=${BENCH_RUNS:-3}
read -r -a sizes <<<"${BENCH_SIZES:-2500 25000 100000 250000}"
npackages=${BENCH_PACKAGES:-400}
package_bytes=${BENCH_PACKAGE_BYTES:-2G}
results=${BENCH_RESULTS:-docs/benchmarks.md}
main_size=25000 # the size of a full repository today, where most targets are stated
repo=NetBSD/x86_64/10.0/All
run_timeout=600 # per command: a hang (say, a passphrase prompt) must not stall make bench forever
started=$EPOCHSECONDS

say() { printf 'bench: %s\n' "$*" >&2; }
die() {
	printf 'bench: %s\n' "$*" >&2
	if [[ -n ${proxy_pid:-} && -s ${work:-}/proxy.err ]]; then tail -n 5 "$work/proxy.err" | sed 's/^/    proxy: /' >&2; fi
	exit 1
}

# need TOOL PACKAGE: PACKAGE is where Debian has it.
need() { command -v "$1" >/dev/null || die "missing tool: $1 (Debian: apt-get install $2)"; }
need node nodejs
need gpg gnupg
need gpgconf gnupg
need gpgv gpgv
need sq sq
need curl curl
need openssl openssl
need /usr/bin/time time
need sha256sum coreutils
need timeout coreutils
need gzip gzip
need xargs findutils
need cmp diffutils
need awk gawk
/usr/bin/time -f '%e %M' -o /dev/null true 2>/dev/null || die "/usr/bin/time is not GNU time (-f '%e %M')"
[[ -n ${PKGKEYS:-} || -f dist/cli/main.js ]] || die "dist/cli/main.js is missing: build pkgkeys first (make build)"
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive whole number, not '$runs'"
[[ $npackages =~ ^[1-9][0-9]*$ ]] || die "BENCH_PACKAGES must be a positive whole number, not '$npackages'"
((${#sizes[@]} > 0)) || die "BENCH_SIZES is empty"
for n in "${sizes[@]}"; do
	[[ $n =~ ^[1-9][0-9]*$ ]] && ((n > npackages)) || die "BENCH_SIZES: '$n' is not a whole number larger than BENCH_PACKAGES ($npackages)"
done
mapfile -t sizes < <(printf '%s\n' "${sizes[@]}" | sort -n -u)

work=$(mktemp -d "${TMPDIR:-/tmp}/pkgkeys-bench.XXXXXX")
export GNUPGHOME=$work/gnupg # peers never see the user's keys, and their agent dies with the run
servers=()                   # the servers this script started, by process id
proxy_pid=''
cleanup() {
	local pid
	for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
	gpgconf --homedir "$GNUPGHOME" --kill gpg-agent >/dev/null 2>&1 || true
	if [[ -n ${BENCH_KEEP:-} ]]; then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -m 700 "$GNUPGHOME"
# A throw-away passphrase for throw-away keys; pkgkeys reads it from the environment.
export PKGKEYS_PASSPHRASE=bench-only-passphrase

raw=$work/raw.tsv   # label, run, wall microseconds, peak RSS KiB
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

# measure LABEL [--fresh DIR] [--remove FILE] [--setup FUNCTION] -- CMD...: runs CMD $runs times under
# GNU time. Before every run, untimed, --fresh empties DIR, --remove deletes FILE and --setup calls
# FUNCTION, so that every run does the same work. Between `round` and `end_round`, the measurements are
# only noted, then run in turns (the first run of each, then the second of each, ...): load that comes
# and goes during a round falls on pkgkeys and its peers alike, and the ratios stay fair.
rounds=()     # the measurements of the open round, each as its quoted arguments
in_round=''
measure() {
	if [[ -n $in_round ]]; then
		rounds+=("$(printf '%q ' "$@")")
		return
	fi
	local i
	for ((i = 1; i <= runs; i++)); do measure_run "$i" "$@"; done
}
round() {
	in_round=yes
	rounds=()
}
end_round() {
	local i m
	in_round=''
	# Writes still pending (the data just generated, or whatever ran before the bench) would be flushed
	# during the round, into the fsync of whichever command is timed then: flush them first.
	sync
	for ((i = 1; i <= runs; i++)); do
		for m in "${rounds[@]}"; do eval "measure_run $i $m"; done
	done
	rounds=()
}

# measure_run RUN LABEL [options] -- CMD...: run number RUN of a measurement (see measure).
measure_run() {
	local i=$1 label=$2 fresh=() remove=() setup=() t0 t1 rss d f
	shift 2
	while [[ $1 != -- ]]; do
		case $1 in
		--fresh) fresh+=("$2") ;;
		--remove) remove+=("$2") ;;
		--setup) setup+=("$2") ;;
		*) die "measure: bad option $1" ;;
		esac
		shift 2
	done
	shift
	((i > 1)) || say "measuring $label ($runs runs)"
	for d in "${fresh[@]}"; do rm -rf "$d" && mkdir -p "$d"; done
	for f in "${remove[@]}"; do rm -f "$f"; done
	for f in "${setup[@]}"; do "$f"; done
	t0=${EPOCHREALTIME/./}
	if ! timeout "$run_timeout" /usr/bin/time -f '%e %M' -o "$work/time.out" "$@" </dev/null >/dev/null 2>"$work/cmd.err"; then
		sed 's/^/    /' "$work/cmd.err" | tail -n 20 >&2
		die "FAILED: $label (run $i): $* ($(head -n 1 "$work/time.out" 2>/dev/null || echo 'no status'))"
	fi
	t1=${EPOCHREALTIME/./}
	# EPOCHREALTIME gives microseconds where %e has only 10 ms; %M is the peak RSS in KiB.
	rss=$(awk 'END { print $2 }' "$work/time.out")
	printf '%s\t%d\t%d\t%d\n' "$label" "$i" $((t1 - t0)) "$rss" >>"$raw"
}

# A peak RSS measured otherwise than by measure (a server's, read as it stops): no wall time.
record_rss() { printf '%s\t0\t0\t%d\n' "$1" "$2" >>"$raw"; }

# wait_for FILE PID WHAT: until the server PID has written FILE; it must not die first.
wait_for() {
	local i
	for ((i = 0; i < 1200; i++)); do
		[[ -s $1 ]] && return 0
		kill -0 "$2" 2>/dev/null || die "$3 did not start"
		sleep 0.05
	done
	die "$3 did not start within a minute"
}

forget_server() {
	local pid kept=()
	for pid in "${servers[@]}"; do [[ $pid == "$1" ]] || kept+=("$pid"); done
	servers=("${kept[@]}")
}

# fetch_all CURLCONFIG WHAT: every URL in CURLCONFIG answered 200.
fetch_all() {
	local codes
	codes=$(curl -sS -K "$1" -w '%{http_code}\n' </dev/null) || die "FAILED: $2 (curl exit status $?)"
	[[ $(grep -c '^200$' <<<"$codes") == "$npackages" ]] || die "FAILED: $2: answers $(sort <<<"$codes" | uniq -c | tr -s ' \n' ' ')"
}

# urls BASE: a curl config fetching every package from BASE to /dev/null, one connection for all (as pkgin does).
urls() {
	local name
	for name in "${pkgnames[@]}"; do printf 'url = "%s/%s"\noutput = "/dev/null"\n' "$1" "$name"; done
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
note curl "$(curl --version | head -n 1 | cut -d' ' -f1-2)"
note gzip "$(gzip --version | head -n 1)"
note openssl "$(openssl version)"
note sha256sum "$(sha256sum --version | head -n 1)"
note pkgkeys "${PK[*]} ($(git -C "$root" describe --always --dirty 2>/dev/null || echo 'no git'))"
note runs "$runs"
note sizes "${sizes[*]}"
note main_size "$main_size"
# Other work on the machine skews every figure: the report shows the load before and after.
note load_start "$(cut -d' ' -f1-3 /proc/loadavg)"

# --- the package files, listed first in every index ----------------------------------------------------
say "generating data in $work"
pkgset=$work/pkgset # its own index lists only them, so verify-packages has nothing missing to complain about
check "generate packages" node bench/generate.js --entries "$npackages" --packages "$npackages" \
	--package-bytes "$package_bytes" --out "$pkgset"
shopt -s nullglob
pkgfiles=("$pkgset"/packages/*.tgz)
shopt -u nullglob
((${#pkgfiles[@]} == npackages)) || die "expected $npackages packages in $pkgset/packages, found ${#pkgfiles[@]}"
pkgnames=("${pkgfiles[@]##*/}")
note packages "$npackages"
note package_bytes "$(find "$pkgset/packages" -name '*.tgz' -printf '%s\n' | awk '{ s += $1 } END { print s }')"

# --- keys: made by pkgkeys itself, as build hosts, the keyring publisher and the master key holder would --
say "creating keys"
keys=$work/keys
check "pkgkeys master init" "${PK[@]}" master init --uid "Bench Master <master@bench.invalid>" --out "$keys/master"
anchor=$keys/master/master-public.asc
# host-rsa signs every index verified below; host-ed and host-pass sign only to be timed.
check "pkgkeys key init (RSA-3072)" "${PK[@]}" key init --uid "Bench RSA <rsa@bench.invalid>" --no-passphrase --out "$keys/host-rsa"
check "pkgkeys key init (Ed25519)" "${PK[@]}" key init --uid "Bench Ed25519 <ed@bench.invalid>" --algo ed25519 --no-passphrase --out "$keys/host-ed"
check "pkgkeys key init (RSA-3072, passphrase)" "${PK[@]}" key init --uid "Bench RSA pass <pass@bench.invalid>" --out "$keys/host-pass"
check "pkgkeys key init (publisher)" "${PK[@]}" key init --uid "Bench Publisher <pub@bench.invalid>" --algo ed25519 --no-passphrase --out "$keys/publisher"
for key in host-rsa host-ed host-pass publisher; do
	scope=$repo
	[[ $key == publisher ]] && scope=keyring/pkgsrc
	check "pkgkeys certify $key" "${PK[@]}" certify --signer "$keys/master/master-secret.asc" --scope "$scope" \
		--out "$keys/$key-cert.asc" "$keys/$key/signing-public.asc"
done
check "pkgkeys keyring import" "${PK[@]}" keyring --keyring "$keys/keyrings/pkgsrc" import "$anchor" "$keys"/*-cert.asc
check "pkgkeys keyring export" "${PK[@]}" keyring --keyring "$keys/keyrings/pkgsrc" export --out "$keys/keyring.gpg"
host_public=$keys/host-rsa/signing-public.asc
host_secret=$keys/host-rsa/signing-secret.asc
host_fpr=$(gpg --batch --with-colons --show-keys "$host_public" 2>/dev/null | awk -F: '$1 == "fpr" { print $10; exit }')
[[ -n $host_fpr ]] || die "gpg cannot read the host certificate $host_public"
# The chain must hold before anything is timed, or every verify below measures a failure path.
check "pkgkeys keyring explain (host key trusted for $repo)" "${PK[@]}" keyring explain "$host_fpr" \
	--keyring "$keys/keyring.gpg" --anchor "$anchor" --repository "$repo"
check "gpg --dearmor (gpgv keyring)" gpg --batch --yes --output "$keys/host.gpg" --dearmor "$host_public"
check "gpg --dearmor (publisher)" gpg --batch --yes --output "$keys/publisher.gpg" --dearmor "$keys/publisher/signing-public.asc"
# gpg's keys, one of each type: no passphrase, as an unattended signer's.
for type in rsa3072 ed25519; do
	check "gpg --quick-gen-key $type" gpg --batch --pinentry-mode loopback --passphrase '' \
		--quick-gen-key "Bench GPG $type <gpg-$type@bench.invalid>" "$type" sign never
done
# The same hash as pkgkeys (gpg would pick SHA-512 for RSA): both do the same work.
gpgsign=(gpg --batch --yes --pinentry-mode loopback --passphrase '' --digest-algo SHA256 --clearsign --output -)
# Start gpg-agent now so that the first timed signature does not pay for it.
for type in rsa3072 ed25519; do
	check "gpg warm-up signature ($type)" "${gpgsign[@]}" --local-user "gpg-$type@bench.invalid" "$anchor"
done

# --- the mirror: keyring releases and the indexes of every size, with the packages ----------------------
mirror=$work/mirror
check "pkgkeys keyring publish" "${PK[@]}" keyring --keyring "$keys/keyrings/pkgsrc" publish --key "$keys/publisher/signing-secret.asc" \
	--anchor "$anchor" --out "$mirror/keyring"
node bench/serve.js "$mirror" "$work/mirror.port" >"$work/mirror.log" 2>"$work/mirror.err" </dev/null &
servers+=("$!")
wait_for "$work/mirror.port" "$!" "the mirror (bench/serve.js)"
mirror_url=http://127.0.0.1:$(cat "$work/mirror.port")
note mirror "bench/serve.js on $mirror_url"

# --- a client: the keyring installed, then update with nothing new, and status -------------------------
say "setting up a client"
client=$work/client
CPK=(env "PKGKEYS_ROOT=$client" "${PK[@]}") # pkgkeys as on that client
mkdir -p "$client/etc/pkgkeys/anchors"
cp "$anchor" "$client/etc/pkgkeys/anchors/pkgsrc.asc"
check "pkgkeys update (installs the release)" "${CPK[@]}" update --url "file://$mirror/keyring/"
measure "update:file" -- "${CPK[@]}" update --url "file://$mirror/keyring/" --quiet
check "pkgkeys update (from the mirror)" "${CPK[@]}" update --url "$mirror_url/keyring/"
round
measure "update:http" -- "${CPK[@]}" update --url "$mirror_url/keyring/" --quiet
measure "status" -- "${CPK[@]}" status
# What a shell script would do with nothing new: check the release's signature, hash the keyring.
measure "update:peer" -- bash -c 'gpgv --keyring "$1" "$2/release.asc" 2>/dev/null && exec sha256sum "$2/keyring.gpg"' _ "$keys/publisher.gpg" "$mirror/keyring"
# Node alone, started in the same round: the floor of every pkgkeys command on this machine, now.
measure "node:start" -- node -e 0
end_round

# --- every size: sign, verify, check-repo, the proxy ------------------------------------------------------
to=(bash -c 'out=$1; shift; exec "$@" > "$out"' _) # writes through a redirection; exec: the measured process is the command
proxy_port=$(node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
proxy_base='' # the repository's URL on the proxy
proxy_conf='' # the client configuration the proxy runs with
proxy_size=0

# Stops the proxy, recording its peak RSS.
proxy_stop() {
	[[ -n $proxy_pid ]] || return 0
	local hwm
	hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$proxy_pid/status" 2>/dev/null || true)
	[[ -n $hwm ]] || die "the proxy (process $proxy_pid) has gone"
	record_rss "proxy:rss:$proxy_size" "$hwm"
	kill -TERM "$proxy_pid"
	wait "$proxy_pid" || true
	forget_server "$proxy_pid"
	proxy_pid=''
}

# A proxy started afresh: an empty cache, nothing verified yet.
proxy_fresh() {
	proxy_stop
	rm -rf "$work/proxy-cache" "$work/proxy.out"
	"${CPK[@]}" --config "$proxy_conf" proxy --listen "127.0.0.1:$proxy_port" --cache "$work/proxy-cache" \
		>"$work/proxy.out" 2>"$work/proxy.err" </dev/null &
	proxy_pid=$!
	servers+=("$proxy_pid")
	wait_for "$work/proxy.out" "$proxy_pid" "pkgkeys proxy"
	grep -q "^pkgkeys proxy on http://127.0.0.1:$proxy_port;" "$work/proxy.out" || die "pkgkeys proxy said: $(head -n 1 "$work/proxy.out")"
}

for n in "${sizes[@]}"; do
	s=$work/s$n
	index_dir=$mirror/s$n/packages/$repo # setup takes the identifier from the path below packages/
	index_url=$mirror_url/s$n/packages/$repo
	signed=$index_dir/pkg_summary.asc
	say "--- $n entries"
	check "generate $n entries" node bench/generate.js --entries "$n" --after "$pkgset/pkg_summary" --seed pkgkeys-bench/more --out "$s"
	mkdir -p "$index_dir"
	ln -s "${pkgfiles[@]}" "$index_dir/"
	note "summary_bytes_$n" "$(stat -c %s "$s/pkg_summary")"

	if ((n == main_size)); then
		round
		measure "sign:pkgkeys-rsa:$n" --remove "$s/signed" -- "${to[@]}" "$s/signed" "${PK[@]}" sign-summary --client-keyring "$keys/keyring.gpg" \
			--anchor "$anchor" --key "$keys/host-rsa/signing-secret.asc" --repository "$repo" "$s/pkg_summary"
		measure "sign:pkgkeys-ed:$n" --remove "$s/signed" -- "${to[@]}" "$s/signed" "${PK[@]}" sign-summary --client-keyring "$keys/keyring.gpg" \
			--anchor "$anchor" --key "$keys/host-ed/signing-secret.asc" --repository "$repo" "$s/pkg_summary"
		measure "sign:pkgkeys-pass:$n" --remove "$s/signed" -- "${to[@]}" "$s/signed" "${PK[@]}" sign-summary --client-keyring "$keys/keyring.gpg" \
			--anchor "$anchor" --key "$keys/host-pass/signing-secret.asc" --repository "$repo" "$s/pkg_summary"
		measure "sign:gpg-rsa:$n" --remove "$s/signed" -- "${to[@]}" "$s/signed" "${gpgsign[@]}" --local-user gpg-rsa3072@bench.invalid "$s/pkg_summary"
		measure "sign:gpg-ed:$n" --remove "$s/signed" -- "${to[@]}" "$s/signed" "${gpgsign[@]}" --local-user gpg-ed25519@bench.invalid "$s/pkg_summary"
		end_round
		note hash_gpg "$(sed -n 's/^Hash: //p;/^$/q' "$s/signed")"
	fi
	check "pkgkeys sign-summary ($n entries)" "${PK[@]}" sign-summary --client-keyring "$keys/keyring.gpg" --anchor "$anchor" \
		--key "$host_secret" --repository "$repo" --output "$signed" "$s/pkg_summary"
	note "index_bytes_$n" "$(stat -c %s "$signed")"
	if ((n == main_size)); then note hash_pkgkeys "$(sed -n 's/^Hash: //p;/^$/q' "$signed")"; fi

	round
	measure "verify:pkgkeys:$n" --fresh "$work/state" --remove "$s/verified" -- \
		"${to[@]}" "$s/verified" "${PK[@]}" verify-summary --anchor "$anchor" --keyring "$keys/keyring.gpg" --repository "$repo" \
		--state-dir "$work/state" "$signed"
	measure "verify:gpgv:$n" -- gpgv --keyring "$keys/host.gpg" "$signed"
	measure "verify:sq:$n" -- "${to[@]}" "$s/sq-verified" sq verify --signer-cert "$host_public" "$signed"
	end_round
	# A fast verifier that writes the wrong text would be no use: its output must be the summary.
	if cmp -s "$s/verified" "$s/pkg_summary"; then note "verified_same_$n" yes; else note "verified_same_$n" no; fi
	rm -f "$s/verified" "$s/sq-verified"

	# The client's configuration for this size's repository, as pkgkeys setup writes it from pkgin's.
	proxy_conf=$client/s$n.conf
	printf '%s\n' "$index_url" >"$client/repositories-s$n.conf"
	check "pkgkeys setup ($n entries)" "${CPK[@]}" --config "$proxy_conf" setup --repositories "$client/repositories-s$n.conf" \
		--keyring-url "$mirror_url/keyring/"
	# Each size's index was signed after the one before: kept, its floor would refuse them as rollbacks.
	rm -rf "$client/var/db/pkgkeys/state"

	if ((n == main_size)); then
		round
		measure "check-repo:pkgkeys:$n" -- "${CPK[@]}" --config "$proxy_conf" check-repo
		measure "check-repo:peer:$n" --remove "$s/peer.asc" -- \
			bash -c 'curl -sSf -o "$1" "$2" && exec sq verify --signer-cert "$3" "$1"' _ "$s/peer.asc" "$index_url/pkg_summary.asc" "$host_public"
		end_round
	fi

	# The proxy: the first pkg_summary.gz (download, verify, compress), pkgin's If-Modified-Since answered
	# from upstream's 304, then every package fetched and cached.
	proxy_size=$n
	proxy_base=http://127.0.0.1:$proxy_port/$repo
	round
	measure "proxy-first:$n" --setup proxy_fresh -- curl -sSf -D "$work/proxy.headers" -o "$s/proxy.gz" "$proxy_base/pkg_summary.gz"
	measure "first:peer:$n" --remove "$s/peer.asc" -- bash -c 'curl -sSf -o "$1.asc" "$2" && sq verify --signer-cert "$3" "$1.asc" > "$1.txt" && exec gzip -1 < "$1.txt" > "$1.gz"' \
		_ "$s/peer" "$index_url/pkg_summary.asc" "$host_public"
	end_round
	if gzip -dc "$s/proxy.gz" | cmp -s - "$s/pkg_summary"; then note "proxy_same_$n" yes; else note "proxy_same_$n" no; fi
	rm -f "$s/proxy.gz" "$s"/peer.*
	last_modified=$(sed -n 's/^[Ll]ast-[Mm]odified: \(.*\)\r$/\1/p' "$work/proxy.headers")
	[[ -n $last_modified ]] || die "the proxy's pkg_summary.gz has no Last-Modified"
	code=$(curl -sS -o /dev/null -w '%{http_code}' -H "If-Modified-Since: $last_modified" "$proxy_base/pkg_summary.gz")
	[[ $code == 304 ]] || die "the proxy answered pkgin's If-Modified-Since with $code, not 304"
	measure "proxy-304:$n" -- curl -sSf -o /dev/null -H "If-Modified-Since: $last_modified" "$proxy_base/pkg_summary.gz"
	asked=$(tail -n 1 "$work/mirror.log")
	[[ $asked == "304 /s$n/packages/$repo/pkg_summary.asc" ]] || die "the proxy's last request upstream was not answered 304: $asked"
	urls "$proxy_base" >"$work/proxy.urls"
	fetch_all "$work/proxy.urls" "the proxy's packages ($n entries)"
	curl -sSf "$proxy_base/${pkgnames[0]}" | cmp -s - "${pkgfiles[0]}" || die "the proxy served ${pkgnames[0]} other than it is"
	if ((n == main_size)); then
		# Both from the page cache: the proxy from its cache, the plain server from the package files.
		urls "$index_url" >"$work/mirror.urls"
		fetch_all "$work/mirror.urls" "the plain server's packages"
		round
		measure "serve:proxy" -- curl -sSf -K "$work/proxy.urls"
		measure "serve:plain" -- curl -sSf -K "$work/mirror.urls"
		end_round
	fi
	proxy_stop
	[[ -n ${BENCH_KEEP:-} ]] || rm -rf "$s" "$mirror/s$n" "$work/proxy-cache"
done

# --- hash packages -------------------------------------------------------------------------------------
check "pkgkeys sign-summary (package set)" "${PK[@]}" sign-summary --client-keyring "$keys/keyring.gpg" --anchor "$anchor" --key "$host_secret" \
	--repository "$repo" --output "$pkgset/signed" "$pkgset/pkg_summary"
cat "${pkgfiles[@]}" >/dev/null # from the page cache for everyone: this measures hashing, not the disk
round
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
end_round

note load_end "$(cut -d' ' -f1-3 /proc/loadavg)"
note minutes "$(((EPOCHSECONDS - started + 30) / 60))"

# --- report --------------------------------------------------------------------------------------------
node bench/report.js "$meta" "$raw" >"$work/results.md"
cat "$work/results.md"
mkdir -p "$(dirname "$results")"
cp "$work/results.md" "$results.tmp" && mv "$results.tmp" "$results"
say "wrote $results"
