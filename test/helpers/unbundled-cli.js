'use strict';
// The compiled CLI as tsc leaves it, a module a file (dist/cli, dist/lib), which bin/pkgkeys.js runs
// bundled: test/helpers/cli.ts runs this one to see which modules a command loads. The bundle keeps
// that (each of its modules runs at its first require: bin/bundle.js).
require('../../dist/cli/main.js').main();
