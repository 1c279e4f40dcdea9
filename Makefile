# pkgkeys: OpenPGP web-of-trust keyring manager for signed pkgsrc binary packages.
PREFIX ?=	/usr/pkg
DESTDIR ?=
NODE ?=		node
NPM ?=		npm
LIBDIR =	$(PREFIX)/lib/pkgkeys
BINDIR =	$(PREFIX)/bin
MANDIR =	$(PREFIX)/man
JEST =		node_modules/.bin/jest
TSC =		node_modules/.bin/tsc

.PHONY: all build test demo bench lint check install clean

all: build

# The registry this project is built from lacks other platforms' optional packages (@swc/core-darwin-*),
# so `npm ci` cannot validate the lock; `npm install` then installs the locked versions all the same.
node_modules/.package-lock.json: package.json package-lock.json
	$(NPM) ci --no-audit --no-fund || $(NPM) install --no-audit --no-fund

dist/cli/main.js: node_modules/.package-lock.json $(shell find lib cli -name '*.ts')
	rm -rf dist
	$(TSC) -p tsconfig.build.json

build: dist/cli/main.js

test: build
	$(JEST) --ci $(JEST_FLAGS)

demo: build
	sh demo/demo.sh

# Generates a full-size repository and compares pkgkeys with gpgv, sq, gpg, sha256sum and openssl;
# writes docs/benchmarks.md (about 3 GB in $$TMPDIR, a few minutes).
bench: build
	bash bench/run.sh

lint: node_modules/.package-lock.json
	$(TSC) -p tsconfig.json --noEmit

check: lint test

install: build
	mkdir -p $(DESTDIR)$(LIBDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	cp -R dist package.json $(DESTDIR)$(LIBDIR)/
	cd $(DESTDIR)$(LIBDIR) && $(NPM) install --omit=dev --no-audit --no-fund --ignore-scripts --no-package-lock >/dev/null
	mkdir -p $(DESTDIR)$(LIBDIR)/bin && cp bin/pkgkeys.js $(DESTDIR)$(LIBDIR)/bin/pkgkeys.js
	ln -sf $(LIBDIR)/bin/pkgkeys.js $(DESTDIR)$(BINDIR)/pkgkeys
	cp docs/pkgkeys.1 $(DESTDIR)$(MANDIR)/man1/pkgkeys.1
	cp docs/pkgkeys.conf.5 $(DESTDIR)$(MANDIR)/man5/pkgkeys.conf.5

clean:
	rm -rf dist
