// A minimal HTTP service for CloudRun container mode: listens on PORT.
const http = require("http");

const port = Number(process.env.PORT || 8080);
http
  .createServer((req, res) => {
    res.setHeader("Content-Type", "application/json");
    res.end(JSON.stringify({ message: "hello from CloudRun", path: req.url }));
  })
  .listen(port, () => console.log(`server listening on 0.0.0.0:${port}`));
