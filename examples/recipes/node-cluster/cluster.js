// A Node.js `cluster` server with two workers, plain `http`, no packages. The primary
// owns the signals: on SIGTERM or SIGINT it disconnects its workers, each of which stops
// accepting, lets its open requests finish, and exits; then the primary exits 0. The
// workers install no handler, as most don't: a SIGTERM that reaches one directly kills it
// with its requests. `/slow?s=N` answers after N seconds.
"use strict";
const cluster = require("cluster");
const http = require("http");

if (cluster.isPrimary) {
  for (let i = 0; i < 2; i++) cluster.fork();
  cluster.on("exit", (worker, code, signal) => {
    console.log(`worker ${worker.process.pid} exited (${signal || code})`);
  });
  const shutdown = (signal) => {
    console.log(`primary got ${signal}, disconnecting the workers`);
    cluster.disconnect(() => {
      console.log("all workers done, exiting 0");
      process.exit(0);
    });
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
} else {
  http
    .createServer((req, res) => {
      const url = new URL(req.url, "http://localhost");
      if (url.pathname === "/slow") {
        const seconds = Number(url.searchParams.get("s") || "3");
        console.log(`slow request started in worker ${process.pid}`);
        setTimeout(() => res.end(`slow request done by worker ${process.pid}\n`), seconds * 1000);
      } else {
        res.end(`ok from worker ${process.pid}\n`);
      }
    })
    .listen(8080, "0.0.0.0", () => console.log(`worker ${process.pid} listening on 8080`));
}
