// A static file server on 127.0.0.1 for the demo's repository mirror: GET only, no directory listings,
// nothing outside its root. Prints the port it listens on, then serves until it is killed.
'use strict';
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(process.argv[2]);
const server = http.createServer((req, res) => {
  const name = decodeURIComponent(new URL(req.url, 'http://127.0.0.1').pathname);
  const file = path.join(root, path.normalize(name));
  if (req.method !== 'GET' || !file.startsWith(root + path.sep)) return void res.writeHead(404).end();
  fs.stat(file, (error, stat) => {
    if (error || !stat.isFile()) return void res.writeHead(404).end();
    // Conditional requests, as mirrors answer them: pkgkeys update asks with If-None-Match.
    const etag = `"${stat.size}-${Math.floor(stat.mtimeMs)}"`;
    if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { ETag: etag }).end();
    res.writeHead(200, { 'Content-Length': stat.size, ETag: etag });
    fs.createReadStream(file).pipe(res);
  });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
