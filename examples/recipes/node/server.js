// The graceful-shutdown server the Node.js Docker guides recommend: plain `http`, no
// packages. On SIGTERM or SIGINT it stops accepting, lets open requests finish, exits 0.
"use strict";
const http = require("http");

const server = http.createServer((req, res) => {
  res.end("ok\n");
});

server.listen(8080, "127.0.0.1", () => {
  console.log(`listening on 8080, pid ${process.pid}`);
});

function shutdown(signal) {
  console.log(`got ${signal}, closing`);
  server.close(() => {
    console.log("closed, exiting 0");
    process.exit(0);
  });
}

process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
