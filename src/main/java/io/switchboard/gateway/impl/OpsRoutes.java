package io.switchboard.gateway.impl;

import io.switchboard.gateway.GatewayOptions;
import io.switchboard.registry.Directory;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.PrometheusScrapingHandler;

import java.util.ArrayList;
import java.util.List;

/**
 * Operations endpoints: {@code /health} (liveness: the gateway answers), {@code /ready} (the
 * node is in service: listening, clustered when started so, and every {@code readyServices}
 * entry has a live instance) and {@code /metrics} (Prometheus, access as configured).
 */
public final class OpsRoutes {

  private final Vertx vertx;
  private final GatewayOptions options;
  private final Directory directory;
  private final SessionManager sessions;

  public OpsRoutes(Vertx vertx, GatewayOptions options, Directory directory, SessionManager sessions) {
    this.vertx = vertx;
    this.options = options;
    this.directory = directory;
    this.sessions = sessions;
  }

  public void mount(Router router) {
    HealthChecks liveness = HealthChecks.create(vertx).register("gateway", p -> p.complete(Status.OK()));
    router.get("/health").handler(HealthCheckHandler.createWithHealthChecks(liveness));
    HealthChecks readiness = HealthChecks.create(vertx)
      .register("cluster", p -> p.complete(new Status().setOk(!sessions.isShuttingDown())
        .setData(new JsonObject().put("clustered", vertx.isClustered()).put("shuttingDown", sessions.isShuttingDown()))))
      .register("services", p -> {
        List<String> missing = new ArrayList<>();
        for (String service : options.readyServices()) {
          if (directory.instances(service).isEmpty()) {
            missing.add(service);
          }
        }
        p.complete(new Status().setOk(missing.isEmpty()).setData(new JsonObject()
          .put("required", options.readyServices()).put("missing", missing)));
      });
    router.get("/ready").handler(HealthCheckHandler.createWithHealthChecks(readiness));
    if (options.metricsEnabled()) {
      router.get("/metrics").handler(this::authorizeMetrics)
        .handler(PrometheusScrapingHandler.create(GatewayMetrics.of(vertx).registry()));
    }
  }

  private void authorizeMetrics(RoutingContext ctx) {
    boolean allowed;
    switch (options.metricsAccess()) {
      case "public":
        allowed = true;
        break;
      case "admin":
        allowed = Secrets.bearerMatches(ctx.request(), options.adminToken());
        break;
      default:
        allowed = ctx.request().remoteAddress() != null && isLoopback(ctx.request().remoteAddress().hostAddress());
    }
    if (allowed) {
      ctx.next();
    } else {
      ctx.response().setStatusCode(403).end("/metrics is restricted (metrics.access = " + options.metricsAccess() + ")\n");
    }
  }

  private static boolean isLoopback(String ip) {
    return ip.startsWith("127.") || ip.equals("0:0:0:0:0:0:0:1") || ip.equals("::1");
  }
}
