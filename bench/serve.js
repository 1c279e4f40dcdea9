#!/usr/bin/env node
'use strict';
// A plain static file server on 127.0.0.1 for bench/run.sh: node:http and a read stream per file, as
// anyone would write one. It is the mirror the clients fetch from, and the peer the proxy's serving of
// cached packages is compared with. Answers If-Modified-Since with 304, as mirrors do, and logs
// "STATUS PATH" for each request to standard output.
//
//   node bench/serve.js DIR PORTFILE    (the port it listens on is written to PORTFILE)

const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const [root, portFile] = process.argv.slice(2);
const server = http.createServer((req, res) => {
  res.on('finish', () => process.stdout.write(`${res.statusCode} ${req.url}\n`));
  const file = path.join(root, path.posix.normalize(`/${decodeURIComponent(req.url.split('?')[0])}`));
  fs.stat(file, (error, stat) => {
    if (error || !stat.isFile()) return void res.writeHead(404).end();
    const lastModified = stat.mtime.toUTCString();
    if (req.headers['if-modified-since'] === lastModified)
      return void res.writeHead(304, { 'last-modified': lastModified }).end();
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': stat.size,
      'last-modified': lastModified,
    });
    if (req.method === 'HEAD') return void res.end();
    fs.createReadStream(file).pipe(res);
  });
});
server.listen(0, '127.0.0.1', () => fs.writeFileSync(portFile, `${server.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));
