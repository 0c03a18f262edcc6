package io.switchboard.launcher;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * {@code launcher/vertx services | deploy | undeploy}: the admin API from the command line.
 *
 * <pre>
 * launcher/vertx services
 * launcher/vertx deploy io.switchboard.demo.EchoService -conf conf/echo.json [-instances 2] [--node pid@host]
 * launcher/vertx undeploy &lt;id&gt;
 * </pre>
 * The gateway is {@code --url} (default {@code $SWITCHBOARD_ADMIN_URL} or
 * {@code http://localhost:8080}); the token is {@code --token} (default
 * {@code $SWITCHBOARD_ADMIN_TOKEN}).
 */
final class AdminCommand {

  static final List<String> COMMANDS = List.of("services", "deploy", "undeploy");
  private static final String DEFAULT_URL = "http://localhost:8080";

  private final PrintStream out;
  private String url;
  private String token;

  AdminCommand(PrintStream out, Map<String, String> env) {
    this.out = out;
    this.url = env.getOrDefault("SWITCHBOARD_ADMIN_URL", DEFAULT_URL);
    this.token = env.get("SWITCHBOARD_ADMIN_TOKEN");
  }

  /** Runs a command; returns the exit code. Problems are thrown as one-line messages. */
  int run(List<String> args) throws IOException, InterruptedException {
    String command = args.get(0);
    if (args.contains("--help") || args.contains("-h")) {
      out.println("Usage: " + SwitchboardLauncher.NAME + " " + usage(command).substring("; usage: ".length()));
      return 0;
    }
    String target = null;
    String conf = null;
    String node = null;
    int instances = 1;
    for (int i = 1; i < args.size(); i++) {
      String a = args.get(i);
      switch (a) {
        case "--url": url = value(args, ++i, a); break;
        case "--token": token = value(args, ++i, a); break;
        case "-conf": case "--conf": conf = value(args, ++i, a); break;
        case "-instances": case "--instances": instances = parseInstances(value(args, ++i, a)); break;
        case "--node": node = value(args, ++i, a); break;
        default:
          if (a.startsWith("-") || target != null) {
            throw new IllegalArgumentException("unexpected argument " + a + usage(command));
          }
          target = a;
      }
    }
    if (token == null || token.isBlank()) {
      throw new IllegalArgumentException("no admin token: set SWITCHBOARD_ADMIN_TOKEN or pass --token");
    }
    switch (command) {
      case "services":
        return services();
      case "deploy":
        if (target == null) {
          throw new IllegalArgumentException("deploy needs a verticle class" + usage(command));
        }
        JsonObject body = new JsonObject().put("verticle", target).put("instances", instances)
          .put("config", conf == null ? new JsonObject() : readConf(conf));
        if (node != null) {
          body.put("node", node);
        }
        return deploy(body);
      default:
        if (target == null) {
          throw new IllegalArgumentException("undeploy needs a deployment id" + usage(command));
        }
        return undeploy(target);
    }
  }

  private int services() throws IOException, InterruptedException {
    HttpResponse<String> res = call(HttpRequest.newBuilder(uri("/admin/services")).GET());
    if (res.statusCode() != 200) {
      return fail(res);
    }
    JsonArray services = new JsonArray(res.body());
    out.printf("%-16s %-8s %-9s %s%n", "SERVICE", "SESSIONS", "INSTANCES", "PATHS");
    for (Object o : services) {
      JsonObject s = (JsonObject) o;
      out.printf("%-16s %-8d %-9d %s%n", s.getString("name"), s.getInteger("sessions"),
        s.getJsonArray("instances").size(), String.join(" ", s.getJsonArray("paths").getList()));
      for (Object i : s.getJsonArray("instances")) {
        JsonObject inst = (JsonObject) i;
        out.printf("  %s on %s: %d session(s), failover %s%n", inst.getString("id"), inst.getString("node"),
          inst.getInteger("sessions"), inst.getString("failover"));
      }
    }
    return 0;
  }

  private int deploy(JsonObject body) throws IOException, InterruptedException {
    HttpResponse<String> res = call(HttpRequest.newBuilder(uri("/admin/deployments"))
      .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.encode())));
    if (res.statusCode() != 201) {
      return fail(res);
    }
    JsonObject created = new JsonObject(res.body());
    out.println("deployed " + created.getString("verticle") + " as " + created.getString("id") + " on "
      + created.getString("node"));
    return 0;
  }

  private int undeploy(String id) throws IOException, InterruptedException {
    HttpResponse<String> res = call(HttpRequest.newBuilder(uri("/admin/deployments/" + id)).DELETE());
    if (res.statusCode() != 204) {
      return fail(res);
    }
    out.println("undeployed " + id);
    return 0;
  }

  private HttpResponse<String> call(HttpRequest.Builder request) throws IOException, InterruptedException {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    try {
      return client.send(request.header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(40)).build(),
        HttpResponse.BodyHandlers.ofString());
    } catch (java.net.ConnectException e) {
      throw new IllegalArgumentException("cannot reach the gateway at " + url + " (is it running? set --url or SWITCHBOARD_ADMIN_URL)");
    }
  }

  private int fail(HttpResponse<String> res) {
    String message = res.body();
    try {
      message = new JsonObject(res.body()).getString("error", res.body());
    } catch (RuntimeException ignored) {
      // not JSON: print as is
    }
    if (res.statusCode() == 404 && message.contains("<")) {
      message = "the admin API is off on " + url + " (set admin.token in gateway.json or SWITCHBOARD_ADMIN_TOKEN)";
    }
    throw new IllegalArgumentException(res.statusCode() + ": " + message.trim());
  }

  private URI uri(String path) {
    return URI.create(url.replaceAll("/+$", "") + path);
  }

  private static JsonObject readConf(String conf) throws IOException {
    String problem = SwitchboardLauncher.checkConf(conf);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    String text = conf.trim().startsWith("{") ? conf : Files.readString(Path.of(conf));
    return new JsonObject(text);
  }

  private static int parseInstances(String v) {
    try {
      int n = Integer.parseInt(v);
      if (n >= 1 && n <= 256) {
        return n;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new IllegalArgumentException("-instances must be an integer from 1 to 256, got " + v);
  }

  private static String value(List<String> args, int i, String option) {
    if (i >= args.size()) {
      throw new IllegalArgumentException(option + " needs a value");
    }
    return args.get(i);
  }

  private static String usage(String command) {
    switch (command) {
      case "deploy": return "; usage: deploy <verticle> [-conf file.json] [-instances N] [--node NODE] [--url URL] [--token T]";
      case "undeploy": return "; usage: undeploy <id> [--url URL] [--token T]";
      default: return "; usage: services [--url URL] [--token T]";
    }
  }
}
