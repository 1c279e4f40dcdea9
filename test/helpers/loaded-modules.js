'use strict';
// Preloaded into the compiled CLI by test/helpers/cli.ts (node --require): when the process exits,
// writes every module it loaded, one path a line, to the file PKGKEYS_TEST_LOADED names.
const fs = require('node:fs');

const list = process.env.PKGKEYS_TEST_LOADED;
process.on('exit', () => fs.writeFileSync(list, `${Object.keys(require.cache).join('\n')}\n`));
