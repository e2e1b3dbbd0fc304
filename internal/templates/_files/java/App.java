import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** A CloudBase Run container service using only the JDK. */
public final class App {
    private App() {}

    public static void main(String[] args) throws IOException {
        String env = System.getenv("PORT");
        int port = env == null || env.isBlank() ? 8080 : Integer.parseInt(env.trim());

        HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
        server.createContext("/", App::handle);
        ExecutorService workers = Executors.newCachedThreadPool();
        server.setExecutor(workers);

        // CloudRun stops instances with SIGTERM; the JVM then runs shutdown
        // hooks: give open requests a moment to finish.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.stop(5);
            workers.shutdown();
        }));

        server.start();
        System.out.println("listening on :" + port);
    }

    private static void handle(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        String path = exchange.getRequestURI().getPath();
        if ("GET".equals(method) && "/".equals(path)) {
            send(exchange, 200, "{\"message\":\"Hello from CloudBase Run!\",\"template\":\"java\"}");
        } else if ("GET".equals(method) && "/healthz".equals(path)) {
            send(exchange, 200, "{\"status\":\"ok\"}");
        } else {
            send(exchange, 404, "{\"error\":\"no route for " + method + " " + jsonEscape(path) + "\"}");
        }
    }

    private static void send(HttpExchange exchange, int status, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private static String jsonEscape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
