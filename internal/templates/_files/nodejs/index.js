"use strict";

const http = require("node:http");

const port = Number(process.env.PORT) || 8080;

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
  });
  res.end(text);
}

const server = http.createServer((req, res) => {
  const { pathname } = new URL(req.url, "http://localhost");
  if (req.method === "GET" && pathname === "/") {
    send(res, 200, { message: "Hello from CloudBase Run!", template: "nodejs" });
  } else if (req.method === "GET" && pathname === "/healthz") {
    send(res, 200, { status: "ok" });
  } else {
    send(res, 404, { error: `no route for ${req.method} ${pathname}` });
  }
});

server.listen(port, () => {
  console.log(`listening on :${port}`);
});

// CloudRun stops instances with SIGTERM; finish open requests, then exit.
// (As PID 1 in a container, Node would otherwise ignore the signal.)
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 10000).unref();
  });
}
