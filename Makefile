# pkgkeys: OpenPGP web-of-trust keyring manager for signed pkgsrc binary packages.
PREFIX ?=	/usr/pkg
DESTDIR ?=
NODE ?=		node
NPM ?=		npm
LIBDIR =	$(PREFIX)/lib/pkgkeys
BINDIR =	$(PREFIX)/bin
MANDIR =	$(PREFIX)/man
EGDIR =		$(PREFIX)/share/examples/pkgkeys
DOCDIR =	$(PREFIX)/share/doc/pkgkeys
JEST =		node_modules/.bin/jest
TSC =		node_modules/.bin/tsc
PRETTIER =	node_modules/.bin/prettier
# What the formatter keeps in shape: the code, not the documents (docs/ are hand-wrapped prose and man pages).
FORMATTED =	'lib/**/*.ts' 'cli/**/*.ts' 'test/**/*.ts' 'test/**/*.js' 'bench/*.js' 'bin/*.js'

.PHONY: all build test test-fast fixtures demo bench lint format check install plist clean

all: build

# The lock lists every platform's optional packages (@swc/core-*), so `npm ci` takes it as it is and a
# fresh clone stays clean.
node_modules/.package-lock.json: package.json package-lock.json
	$(NPM) ci --no-audit --no-fund

dist/cli/main.js: node_modules/.package-lock.json $(shell find lib cli -name '*.ts')
	rm -rf dist
	$(TSC) -p tsconfig.build.json

# The compiled CLI and its dependencies in one file, with V8's code cache beside it: what bin/pkgkeys.js runs.
dist/pkgkeys.js: dist/cli/main.js bin/bundle.js bin/pkgkeys.js
	$(NODE) bin/bundle.js

build: dist/pkgkeys.js

test: build
	$(JEST) --ci $(JEST_FLAGS)

# Every test but the documentation walk-throughs, the end-to-end run and the interop tests (gpg, sq):
# about half the time of `make test`, for a quick loop. `make test` stays the one that counts.
test-fast: build
	$(JEST) --ci --testPathIgnorePatterns '/test/(docs|e2e|interop)/' $(JEST_FLAGS)

# The test keys in test/fixtures/keys/: only the missing ones are made (FORCE=--force: all of them again).
fixtures: build
	$(NODE) test/fixtures/make-keys.js $(FORCE)

demo: build
	sh demo/demo.sh

# Indexes of 2,500 to 250,000 entries: pkgkeys against sq, gpgv, gpg, curl, gzip, openssl, sha256sum and a
# plain node:http server, each target PASS or MISS; writes docs/benchmarks.md (about 8 GB in $$TMPDIR,
# 10-20 minutes on 2 cores). bench/run.sh names its knobs (BENCH_SIZES, BENCH_RUNS, ...).
bench: build
	bash bench/run.sh

# bin/check-imports.js: lib/'s folders are layered, and no import runs back up. The code is as make format leaves it.
lint: node_modules/.package-lock.json
	$(TSC) -p tsconfig.json --noEmit
	$(NODE) bin/check-imports.js
	$(PRETTIER) --log-level warn --check $(FORMATTED)

# Rewrites the code in the project's one style (.prettierrc.json: 120 columns); `make lint` checks it.
format: node_modules/.package-lock.json
	$(PRETTIER) --log-level warn --write $(FORMATTED)

check: lint test

# Everything pkgsrc/security/pkgkeys/PLIST lists, and nothing else: the bundle holds the production
# dependencies, so no npm, no network and no node_modules; their licences are in THIRD-PARTY-LICENSES.
# Its code cache is made anew by $(NODE), the Node that will run it, since V8 takes only its own. The
# example pkgkeys.conf is what the code itself writes with no repository, so the two cannot drift.
# bin/pkgkeys is a link relative to PREFIX (where BINDIR and LIBDIR are), so a DESTDIR tree runs as it is.
install: build
	rm -rf $(DESTDIR)$(LIBDIR)/dist $(DESTDIR)$(LIBDIR)/node_modules
	mkdir -p $(DESTDIR)$(LIBDIR)/bin $(DESTDIR)$(LIBDIR)/dist $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(EGDIR) $(DESTDIR)$(DOCDIR)
	cp package.json $(DESTDIR)$(LIBDIR)/
	cp dist/pkgkeys.js $(DESTDIR)$(LIBDIR)/dist/pkgkeys.js
	cp bin/pkgkeys.js $(DESTDIR)$(LIBDIR)/bin/pkgkeys.js
	$(NODE) bin/bundle.js --cache-only $(DESTDIR)$(LIBDIR)/dist/pkgkeys.js
	cp dist/THIRD-PARTY-LICENSES $(DESTDIR)$(DOCDIR)/THIRD-PARTY-LICENSES
	ln -sf ../lib/pkgkeys/bin/pkgkeys.js $(DESTDIR)$(BINDIR)/pkgkeys
	cp docs/pkgkeys.1 $(DESTDIR)$(MANDIR)/man1/pkgkeys.1
	cp docs/pkgkeys.conf.5 $(DESTDIR)$(MANDIR)/man5/pkgkeys.conf.5
	$(NODE) -e 'const c = require("./dist/lib/client/config.js"), d = c.defaultConfig(require("./dist/lib/paths.js").defaultLocations({})); process.stdout.write(c.formatConfig(d, d))' >$(DESTDIR)$(EGDIR)/pkgkeys.conf

# Rewrites pkgsrc/security/pkgkeys/PLIST from what `make install` installs: run it after adding or
# removing a source file or a dependency (test/pkgsrc/pkgkeys-package.test.ts compares the two).
plist: build
	tmp=$$(mktemp -d) && $(MAKE) --no-print-directory install DESTDIR=$$tmp PREFIX=/usr/pkg >/dev/null && \
	{ echo '@comment $$NetBSD$$'; cd $$tmp/usr/pkg && find . -type f -o -type l | sed 's|^\./||' | LC_ALL=C sort; } \
		>pkgsrc/security/pkgkeys/PLIST; status=$$?; rm -rf $$tmp; exit $$status

clean:
	rm -rf dist
