package io.switchboard.gateway.impl;

import io.switchboard.protocol.Addresses;
import io.switchboard.protocol.Headers;
import io.switchboard.protocol.Op;
import io.switchboard.registry.Announce;
import io.switchboard.registry.Directory;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The admin API, on the gateway under {@code /admin/}: what the cluster runs, and deployments
 * into running service hosts. Every call needs {@code Authorization: Bearer <admin.token>}.
 *
 * <ul>
 *   <li>{@code GET /admin/nodes}: cluster members (JVMs), their roles, addresses and uptime.</li>
 *   <li>{@code GET /admin/services}: each service's paths, instances and live session counts.</li>
 *   <li>{@code POST /admin/deployments} {@code {"verticle", "config", "instances", "node"}} → 201 {@code {"id"}};
 *       403 when the chosen service host's {@code allowedVerticles} do not allow the class (the host
 *       decides: see {@link io.switchboard.host.ServiceHost}), 400 for an unknown class or a bad config.</li>
 *   <li>{@code DELETE /admin/deployments/<id>} → 204; the instances drain as on SIGTERM.</li>
 * </ul>
 */
public final class AdminApi {

  /** How long a deploy may take before the API answers 504. */
  public static final long DEFAULT_DEPLOY_TIMEOUT_MS = 30_000;
  /** Largest request body accepted. */
  public static final long DEFAULT_BODY_LIMIT = 64 * 1024;

  private final Vertx vertx;
  private final Directory directory;
  private final Map<String, String> staticRoutes;
  private final String token;

  public AdminApi(Vertx vertx, Directory directory, Map<String, String> staticRoutes, String token) {
    this.vertx = vertx;
    this.directory = directory;
    this.staticRoutes = staticRoutes;
    this.token = token;
  }

  /** Mounts the API's routes on the gateway's router. */
  public void mount(Router router) {
    router.route("/admin/nodes").handler(this::authorize).handler(this::nodes);
    router.route("/admin/services").handler(this::authorize).handler(this::services);
    router.post("/admin/deployments").handler(BodyHandler.create().setBodyLimit(DEFAULT_BODY_LIMIT))
      .handler(this::authorize).handler(this::deploy);
    router.delete("/admin/deployments/:id").handler(this::authorize).handler(this::undeploy);
  }

  private void authorize(RoutingContext ctx) {
    if (Secrets.bearerMatches(ctx.request(), token)) {
      ctx.next();
    } else {
      ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"switchboard\"");
      error(ctx, 401, "missing or wrong admin token (Authorization: Bearer <admin.token>)");
    }
  }

  private void nodes(RoutingContext ctx) {
    Map<String, JsonObject> nodes = new LinkedHashMap<>();
    for (Directory.Entry e : directory.entries()) {
      JsonObject node = nodes.computeIfAbsent(e.node(), n -> new JsonObject().put("node", n)
        .put("host", n.contains("@") ? n.substring(n.indexOf('@') + 1) : n)
        .put("roles", new JsonArray()).put("addresses", new JsonArray()).put("uptimeMs", 0L));
      String role = e.role().equals(Announce.ROLE_SERVICE) ? "service:" + e.service() : e.role();
      if (!node.getJsonArray("roles").contains(role)) {
        node.getJsonArray("roles").add(role);
      }
      node.getJsonArray("addresses").add(e.address());
      node.put("uptimeMs", Math.max(node.getLong("uptimeMs"), e.uptimeMs()));
    }
    json(ctx, 200, new JsonArray(new java.util.ArrayList<>(nodes.values())));
  }

  private void services(RoutingContext ctx) {
    Map<String, JsonObject> services = new LinkedHashMap<>();
    Map<String, Set<String>> paths = new LinkedHashMap<>();
    staticRoutes.forEach((path, service) -> paths.computeIfAbsent(service, s -> new LinkedHashSet<>()).add(path));
    for (Directory.Entry e : directory.entries()) {
      if (e.role().equals(Announce.ROLE_SERVICE) && e.service() != null) {
        paths.computeIfAbsent(e.service(), s -> new LinkedHashSet<>()).addAll(e.paths());
        JsonObject service = services.computeIfAbsent(e.service(), this::emptyService);
        int sessions = e.sessions();
        service.getJsonArray("instances").add(new JsonObject().put("id", e.address()).put("node", e.node())
          .put("sessions", sessions).put("failover", e.failover().wire()));
        service.put("sessions", service.getInteger("sessions") + sessions);
      }
    }
    paths.forEach((name, p) -> services.computeIfAbsent(name, this::emptyService).put("paths", new JsonArray(new java.util.ArrayList<>(p))));
    json(ctx, 200, new JsonArray(new java.util.ArrayList<>(services.values())));
  }

  private JsonObject emptyService(String name) {
    return new JsonObject().put("name", name).put("paths", new JsonArray()).put("instances", new JsonArray())
      .put("sessions", 0);
  }

  private void deploy(RoutingContext ctx) {
    JsonObject body;
    try {
      body = ctx.body().asJsonObject();
    } catch (DecodeException | ClassCastException e) {
      error(ctx, 400, "the body must be a JSON object: " + e.getMessage());
      return;
    }
    if (body == null || !(body.getValue("verticle") instanceof String)) {
      error(ctx, 400, "\"verticle\" (a class name) is required");
      return;
    }
    Object config = body.getValue("config");
    Object instances = body.getValue("instances");
    Object node = body.getValue("node");
    if (config != null && !(config instanceof JsonObject)) {
      error(ctx, 400, "\"config\" must be a JSON object");
      return;
    }
    if (instances != null && (!(instances instanceof Integer) || (Integer) instances < 1 || (Integer) instances > 256)) {
      error(ctx, 400, "\"instances\" must be an integer from 1 to 256");
      return;
    }
    if (node != null && !(node instanceof String)) {
      error(ctx, 400, "\"node\" must be a node id string, as GET /admin/nodes lists them");
      return;
    }
    Directory.Entry host = pickHost((String) node);
    if (host == null) {
      if (node != null) {
        error(ctx, 404, "no service host on node " + node + " (GET /admin/nodes lists them)");
      } else {
        error(ctx, 503, "no service host is running; start one with: "
          + "launcher/vertx run io.switchboard.host.ServiceHost -conf conf/services.json -cluster");
      }
      return;
    }
    JsonObject command = new JsonObject().put("verticle", body.getString("verticle"))
      .put("config", config == null ? new JsonObject() : config).put("instances", instances == null ? 1 : instances);
    String hostId = host.address().substring(Addresses.host("").length());
    vertx.eventBus().<JsonObject>request(host.address(), command, hostCommand(Op.DEPLOY))
      .onSuccess(reply -> json(ctx, 201, new JsonObject().put("id", hostId + ":" + reply.body().getString("id"))
        .put("node", host.node()).put("verticle", command.getString("verticle")).put("instances", command.getValue("instances"))))
      .onFailure(err -> busError(ctx, err));
  }

  private void undeploy(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    int colon = id.indexOf(':');
    if (colon <= 0) {
      error(ctx, 404, "no deployment " + id + " (ids look like <host>:<deployment>, as POST returned them)");
      return;
    }
    String host = Addresses.host(id.substring(0, colon));
    if (directory.get(host) == null) {
      error(ctx, 404, "no deployment " + id + ": its host is not running");
      return;
    }
    vertx.eventBus().request(host, new JsonObject().put("id", id.substring(colon + 1)), hostCommand(Op.UNDEPLOY))
      .onSuccess(reply -> ctx.response().setStatusCode(204).end())
      .onFailure(err -> busError(ctx, err));
  }

  private Directory.Entry pickHost(String node) {
    Directory.Entry best = null;
    for (Directory.Entry e : directory.entries()) {
      if (e.role().equals(Announce.ROLE_HOST) && (node == null || node.equals(e.node()))) {
        int load = e.deployments().size();
        if (best == null || load < best.deployments().size()) {
          best = e;
        }
      }
    }
    return best;
  }

  private static DeliveryOptions hostCommand(Op op) {
    return new DeliveryOptions().setSendTimeout(DEFAULT_DEPLOY_TIMEOUT_MS).addHeader(Headers.OP, op.wire());
  }

  private static void busError(RoutingContext ctx, Throwable err) {
    if (err instanceof ReplyException) {
      ReplyException re = (ReplyException) err;
      if (re.failureType() == ReplyFailure.RECIPIENT_FAILURE && re.failureCode() >= 400 && re.failureCode() < 500) {
        error(ctx, re.failureCode(), re.getMessage());
      } else if (re.failureType() == ReplyFailure.TIMEOUT) {
        error(ctx, 504, "the service host did not answer in time");
      } else if (re.failureType() == ReplyFailure.NO_HANDLERS) {
        error(ctx, 503, "the service host is gone");
      } else {
        error(ctx, 500, re.getMessage());
      }
    } else {
      error(ctx, 500, String.valueOf(err.getMessage()));
    }
  }

  private static void error(RoutingContext ctx, int status, String message) {
    json(ctx, status, new JsonObject().put("error", message));
  }

  private static void json(RoutingContext ctx, int status, Object body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
      .end(body instanceof JsonObject ? ((JsonObject) body).encodePrettily() : ((JsonArray) body).encodePrettily());
  }
}
