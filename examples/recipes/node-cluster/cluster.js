// A Node.js `cluster` server with two workers, plain `http`, no packages. The primary
// owns the signals: on SIGTERM or SIGINT it disconnects its workers, each of which stops
// accepting, lets its open requests finish, and exits; when the last has exited, the
// primary exits 0. The workers install no handler, as most don't: a SIGTERM that reaches
// one directly kills it with its requests. `/slow?s=N` answers after N seconds.
"use strict";
const cluster = require("cluster");
const http = require("http");

if (cluster.isPrimary) {
  let alive = 2;
  for (let i = 0; i < alive; i++) cluster.fork();
  let stopping = false;
  cluster.on("exit", (worker, code, signal) => {
    alive -= 1;
    console.log(`worker ${worker.process.pid} exited (${signal || code})`);
    // Exit once the last worker has: a worker disconnects (its IPC channel closes) before
    // its open requests are done, and it is still answering them.
    if (stopping && alive === 0) {
      console.log("all workers done, exiting 0");
      process.exit(0);
    }
  });
  const shutdown = (signal) => {
    console.log(`primary got ${signal}, disconnecting the workers`);
    stopping = true;
    for (const worker of Object.values(cluster.workers)) worker.disconnect();
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
