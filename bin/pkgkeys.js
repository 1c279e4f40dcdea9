#!/usr/bin/env node
'use strict';
// The installed entry point: the compiled CLI's single exit point.
require('../dist/cli/main.js').main();
